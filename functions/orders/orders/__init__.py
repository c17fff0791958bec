"""The orders service's own package: models, rules, schemas."""
