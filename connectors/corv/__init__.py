"""CORV: the StUF-koppelvlak Jeugdzorg (jz0100) messages with the justice chain, over SOAP 1.1."""
