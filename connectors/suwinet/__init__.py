"""Suwinet-Inkijk (BKWI): SuwiML lookup services over SOAP with mutual TLS."""
