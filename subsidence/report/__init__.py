"""The decision pack: one offline HTML file, its GeoPackage and interactive map (CLI ``report``)."""
