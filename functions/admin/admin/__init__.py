"""The admin service's own package: models, rules, schemas."""
