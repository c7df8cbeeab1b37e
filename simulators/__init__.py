"""Faithful simulators of the WhatsApp Cloud API and the QloApps webservice."""
