"""WhatsApp Cloud API simulator: Graph API, webhook delivery, virtual guests, control plane."""
