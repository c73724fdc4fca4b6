"""CORV's HTTP interface: the StUF-koppelvlak Jeugdzorg service `ontvangAsynchroon` (SOAP 1.1, mutual TLS with
CORV's client certificate, `[corv] certificate`; see `gateway.corv_config` for the section).

- `POST /corv/ontvangAsynchroon` — a jz Di01 (vtoDi01, notificatieDi01, notificatiejrDi01, zorgmeldingDi01,
  zorgmeldingTerugkoppelingDi01) or CORV's Bv01/Fo01 to one of our messages: `200` with a Bv03 once it is journaled
  on the tenant's inbox, else `500` with a SOAP Fault holding a Fo03 (`gateway.corv_pipeline` says which foutcode).
- `GET /corv/ontvangAsynchroon?wsdl` — the WSDL, its soap:address the gateway's `public_base_url`; its schemas
  at `?xsd=NAME`, so zeep or SoapUI load the service from the URL alone.

The backoffice sends CORV messages through `POST /api/v1/tenants/{gemeentecode}/outbound` (`gateway.backoffice_routes`)
and reads CORV's from its inbox like any other.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from lxml import etree

from connectors.corv import soap
from connectors.corv.inbound import Receiver
from connectors.corv.outbound import WSDL
from connectors.corv.schemas import SCHEMA_DIR, XS
from gateway.appkeys import CONFIG_KEY, STORE_KEY
from gateway.auth import CORV, CORV_CERTIFICATE_KEY
from gateway.corv_config import CorvSettings, corv_settings
from gateway.corv_delivery import corv_delivery
from gateway.corv_pipeline import CorvPipeline
from gateway.http_errors import json_error
from gateway.routing import add_route
from gateway.services import PIPELINE_METRICS_KEY

SERVICE = WSDL.stem  # "ontvangAsynchroon"
PATH = "/corv/{service}"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
TAGS = ["CORV"]

CORV_PIPELINE_KEY = web.AppKey("corv_pipeline", CorvPipeline)
SERVICE_DOCUMENTS_KEY = web.AppKey("corv_service_documents", dict)


def setup(app: web.Application) -> None:
    settings = corv_settings(app[CONFIG_KEY])  # a wrong [corv] section stops start-up here
    add_route(app, "POST", PATH, receive, access=CORV,
              summary="CORV: a jz Di01 (SOAP 1.1); Bv03 once journaled, else a Fo03 fault", operation={
                  "tags": TAGS, "requestBody": {"content": {"text/xml": {"schema": {"type": "string"}}}},
                  "responses": {"200": {"description": "Bv03Bericht in a SOAP envelope (text/xml)"},
                                "500": {"description": "SOAP Fault with a Fo03Bericht: StUF foutcode and details"}}})
    add_route(app, "GET", PATH, service_document, access=CORV,
              summary="CORV: the WSDL (?wsdl) and its schemas (?xsd=NAME)", operation={
                  "tags": TAGS, "parameters": [
                      {"name": "wsdl", "in": "query", "allowEmptyValue": True, "schema": {"type": "string"}},
                      {"name": "xsd", "in": "query", "schema": {"type": "string"}}]})
    app[SERVICE_DOCUMENTS_KEY] = service_documents(f"{app[CONFIG_KEY].gateway.public_base_url}/corv/{SERVICE}")
    if settings is not None:
        app[CORV_CERTIFICATE_KEY] = settings.certificate
        app.cleanup_ctx.append(_corv_services(settings))
        app.cleanup_ctx.append(corv_delivery(settings))


def _corv_services(settings: CorvSettings):
    async def open_pipeline(app: web.Application):
        config = app[CONFIG_KEY]
        receiver = await asyncio.to_thread(  # compiles the jz0100 schemas (once per process)
            Receiver, gemeentecodes=[tenant.gemeentecode for tenant in config.tenants],
            applicaties=dict(settings.applicaties), max_bytes=config.limits.max_body_bytes)
        app[CORV_PIPELINE_KEY] = CorvPipeline(config, settings, app[STORE_KEY], receiver, app[PIPELINE_METRICS_KEY])
        yield

    return open_pipeline


def _service(request: web.Request) -> None:
    if request.match_info["service"] != SERVICE:
        raise json_error(404, f"no CORV service {request.match_info['service']!r} here (offered: {SERVICE})")


async def receive(request: web.Request) -> web.Response:
    _service(request)
    outcome = await request.app[CORV_PIPELINE_KEY].receive(await request.read())
    return web.Response(body=outcome.body, status=outcome.status, headers={"Content-Type": soap.CONTENT_TYPE})


async def service_document(request: web.Request) -> web.Response:
    _service(request)
    documents = request.app[SERVICE_DOCUMENTS_KEY]
    name = request.query.get("xsd") if "xsd" in request.query else WSDL.name if "wsdl" in request.query else None
    if name is None:
        raise json_error(400, "ask for the WSDL with ?wsdl, or a schema with ?xsd=NAME")
    if name not in documents:
        raise json_error(404, f"no schema {name!r} (offered: {', '.join(sorted(set(documents) - {WSDL.name}))})")
    return web.Response(body=documents[name], headers={"Content-Type": "text/xml; charset=utf-8"})


def service_documents(service_url: str) -> dict[str, bytes]:
    """The WSDL and the schemas it imports, by file name, pointing at `service_url`: the soap:address is it, and
    every schemaLocation becomes `service_url?xsd=NAME`."""
    documents = {}
    for path in (WSDL, *sorted(SCHEMA_DIR.glob("*.xsd"))):
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for address in tree.iter(f"{{{WSDL_SOAP_NS}}}address"):
            address.set("location", service_url)
        for located in tree.iter(f"{{{XS}}}import", f"{{{XS}}}include"):
            location = located.get("schemaLocation")
            if location:
                located.set("schemaLocation", f"{service_url}?xsd={Path(location).name}")
        documents[path.name] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return documents
