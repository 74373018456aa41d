"""Maps and figures (pydeck, plotly), built from library objects; no streamlit."""
