"""The localization service's own package: models, rules, schemas."""
