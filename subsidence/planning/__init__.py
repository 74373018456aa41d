"""What a planner acts on: scenarios, forecasts, hazard, confidence, the pack and shared links."""
