"""The Postman collection of the Orders & Inventory API and a Newman-free runner for it."""
