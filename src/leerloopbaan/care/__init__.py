"""Care: support offers (aanbod uitvalpreventie) and support requests from schools (ondersteuningsvragen)."""
