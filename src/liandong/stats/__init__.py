"""Statistics of the work: counts, on-time rates and times per unit, tier, category, street, level
and class over any period; each figure with its written definition (issue 9)."""
