"""The payments service's own package: models, rules, schemas."""
