"""Where things are in the district: street boundaries (GeoJSON, imported by administrators) and the
point-in-street lookup."""
