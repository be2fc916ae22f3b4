"""Unit assessment (考核) and the monthly bulletin (月度通报): a weighted monthly score per unit,
ranked within its tier, and the bulletin the office drafts, edits and publishes."""
