"""The BRP (Basisregistratie Personen): StUF-BG 3.10 npsLv01/npsLa01 over SOAP, or the Haal Centraal BRP Personen API.

Both backends answer `lookup(bsn, purpose)` with the same person shape (see `connectors.brp.person`).
"""
