"""What notify sends through: SMTP, an SMS gateway, webhooks, and the platform's own services."""
