"""Integrations: the REST API, CRM hooks in, webhooks out, CSV and OKR imports."""
