"""NetApp's own Python client (`netapp-ontap`) against `nlf serve` (issue 12).

Run by tests/ontap_client.rs, once over plain HTTP and once over HTTPS:

    python check.py URL --admin USER:PASSWORD --readonly USER:PASSWORD \
        --licenses DIR --tampered NLF [--verify CERT.pem]

The store behind URL must be empty. Every check uses only the client library's API
(`HostConnection`, `LicensePackage`, its schemas, `NetAppRestError`) and asserts something
that can fail; every record the server returns is loaded through the client's own schemas
with unknown fields refused. One line is printed per check, and at the end every request the
client sent (method, path and query), as the server saw them.
"""

import argparse
import json
import sys
import urllib.parse

import marshmallow
from netapp_ontap import HostConnection
from netapp_ontap.error import NetAppRestError
from netapp_ontap.models.entitlement import EntitlementSchema
from netapp_ontap.models.license import LicenseSchema
from netapp_ontap.models.license_capacity import LicenseCapacitySchema
from netapp_ontap.models.license_compliance import LicenseComplianceSchema
from netapp_ontap.models.self_link import SelfLinkSchema
from netapp_ontap.models.href import HrefSchema
from netapp_ontap.resources import LicensePackage
from netapp_ontap.resources.license_package import LicensePackageSchema

PLACEHOLDER_KEY = "A" * 28
COLLECTION = "/api/cluster/licensing/licenses"
KEY_INVALID = "655294465"
SIGNATURE_INVALID = "1115142"
ENTRY_DOES_NOT_EXIST = "4"
CORE_BUNDLE_PACKAGES = ["nfs", "cifs", "iscsi", "fcp", "nvme_of", "s3", "flexclone", "snaprestore"]

# Every package record the server returned, as it sent it (the JSON bodies, not the client's
# objects: those keep unknown top-level fields and drop unknown nested ones silently).
RECORDS = []
# Every request the client sent: (method, path?query, status).
REQUESTS = []


def check(text):
    print(f"ok: {text}", flush=True)


def record_response(response, *_args, **_kwargs):
    """A requests response hook: note the request, keep the package records of the answer."""
    request = urllib.parse.urlsplit(response.request.url)
    path = request.path + (f"?{request.query}" if request.query else "")
    REQUESTS.append((response.request.method, path, response.status_code))
    if response.status_code >= 300 or not request.path.startswith(COLLECTION):
        return
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(f"{path}: the answer is not JSON: {response.text!r}") from e
    if request.path.rstrip("/") == COLLECTION:
        RECORDS.extend(body.get("records") or [])
    elif response.request.method == "GET":
        RECORDS.append(body)


def strict_load(schema, data, where):
    """Load `data` through `schema` with unknown fields refused (raises on any)."""
    try:
        return schema.load(data, unknown=marshmallow.RAISE)
    except marshmallow.ValidationError as e:
        raise AssertionError(f"{where}: the client's {type(schema).__name__} refuses {data!r}: {e.messages}") from e


def load_record(record, where):
    """A package record through LicensePackageSchema and each nested object through its own
    schema, each with RAISE (the nested fields are declared with unknown=EXCLUDE, which
    would otherwise hide a field the real ONTAP does not have)."""
    assert isinstance(record, dict), f"{where}: a record is not an object: {record!r}"
    strict_load(LicensePackageSchema(), record, where)
    links = record.get("_links")
    if links is not None:
        strict_load(SelfLinkSchema(), links, f"{where}._links")
        strict_load(HrefSchema(), links["self"], f"{where}._links.self")
    if record.get("entitlement") is not None:
        strict_load(EntitlementSchema(), record["entitlement"], f"{where}.entitlement")
    for i, lic in enumerate(record.get("licenses") or []):
        w = f"{where}.licenses[{i}]"
        strict_load(LicenseSchema(), lic, w)
        if lic.get("capacity") is not None:
            strict_load(LicenseCapacitySchema(), lic["capacity"], f"{w}.capacity")
        if lic.get("compliance") is not None:
            strict_load(LicenseComplianceSchema(), lic["compliance"], f"{w}.compliance")


def expect_error(call, status, code, what):
    """`call()` raises NetAppRestError with this HTTP status and ONTAP error code."""
    try:
        call()
    except NetAppRestError as e:
        body = e.response_body
        assert e.status_code == status, f"{what}: status {e.status_code}, expected {status}: {body!r}"
        assert isinstance(body, dict) and "error" in body, f"{what}: no ONTAP error body: {e.response_text!r}"
        got = body["error"].get("code")
        assert got == code, f"{what}: code {got!r}, expected {code!r}: {body!r}"
        assert body["error"].get("message"), f"{what}: no message: {body!r}"
        return body["error"]
    raise AssertionError(f"{what}: no NetAppRestError was raised")


def serial_of(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["statusResp"]["serialNumber"]


def names(records):
    return [r.name for r in records]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--admin", required=True, help="USER:PASSWORD of an admin user")
    p.add_argument("--readonly", required=True, help="USER:PASSWORD of a readonly user")
    p.add_argument("--licenses", required=True, help="testdata/demo/licenses")
    p.add_argument("--tampered", required=True, help="an NLF whose signature does not verify")
    p.add_argument("--verify", help="the server's certificate (PEM) for https")
    a = p.parse_args()

    url = urllib.parse.urlsplit(a.url)
    assert url.scheme in ("http", "https"), a.url
    verify = a.verify if url.scheme == "https" else False
    admin_user, admin_pw = a.admin.split(":", 1)
    ro_user, ro_pw = a.readonly.split(":", 1)

    def connect(user, password):
        c = HostConnection(url.hostname, username=user, password=password, verify=verify,
                           port=url.port, scheme=url.scheme)
        c.session.hooks["response"].append(record_response)
        return c

    core_path = f"{a.licenses}/core-bundle.nlf"
    fabricpool_path = f"{a.licenses}/fabricpool.nlf"
    with open(core_path, encoding="utf-8") as f:
        core_text = f.read()
    with open(fabricpool_path, encoding="utf-8") as f:
        fabricpool_text = f.read()
    with open(a.tampered, encoding="utf-8") as f:
        tampered_text = f.read()
    core_serial = serial_of(core_path)
    fabricpool_serial = serial_of(fabricpool_path)

    admin = connect(admin_user, admin_pw)
    readonly = connect(ro_user, ro_pw)
    wrong = connect(admin_user, admin_pw + "-wrong")

    with admin:
        # An empty store lists nothing.
        empty = list(LicensePackage.get_collection(fields="*"))
        assert empty == [], f"an empty store lists {names(empty)}"
        assert LicensePackage.count_collection() == 0
        assert LicensePackage.find(name="fabricpool") is None
        check("empty store: get_collection(fields='*') yields nothing, count_collection() == 0, find() is None")

        # Install the Core Bundle (NLFv2) and FabricPool (NLFv1), as ONTAP's POST.
        posted = LicensePackage(keys=[core_text, fabricpool_text])
        response = posted.post()
        assert response.http_response.status_code == 201, response.http_response.status_code
        # The client takes the new resource's key (name) from the Location header.
        assert posted.name in CORE_BUNDLE_PACKAGES + ["fabricpool"], f"the client read name {posted.name!r} from the Location"
        check(f"post of core-bundle.nlf and fabricpool.nlf: 201, Location {response.http_response.headers.get('Location')} (the client's name: {posted.name})")

        every = list(LicensePackage.get_collection(fields="*"))
        listed = names(every)
        for n in CORE_BUNDLE_PACKAGES + ["fabricpool"]:
            assert n in listed, f"{n} missing from {listed}"
        assert listed == sorted(listed), f"records not in name order: {listed}"
        for r in every:
            assert r.state in ("compliant", "noncompliant", "unknown"), f"{r.name}: state {r.state!r} listed without state=unlicensed"
            assert r.scope in ("site", "cluster", "node"), f"{r.name}: scope {r.scope!r}"
            assert r.licenses, f"{r.name}: no licenses"
        check(f"get_collection(fields='*') lists {len(every)} licensed packages: {', '.join(f'{r.name}={r.state}' for r in every)}")

        fp = LicensePackage.find(name="fabricpool")
        assert fp is not None, "find(name='fabricpool') is None after the install"
        assert fp.name == "fabricpool"
        fp.get()
        assert fp.scope == "cluster", fp.scope
        assert fp.state == "compliant", f"fabricpool is {fp.state}"
        fp_serials = [lic.serial_number for lic in fp.licenses]
        assert fp_serials == [fabricpool_serial], f"fabricpool licenses {fp_serials}, expected [{fabricpool_serial}]"
        cap = fp.licenses[0].capacity
        assert cap.maximum_size == 1 << 40, f"fabricpool capacity {cap.maximum_size}"
        check(f"find(name='fabricpool') + get(): scope cluster, state compliant, serial {fabricpool_serial}, 1 TiB")

        nfs = LicensePackage(name="nfs")
        nfs.get()
        assert nfs.name == "nfs"
        assert nfs.scope == "node", nfs.scope
        assert nfs.state in ("compliant", "noncompliant"), nfs.state
        installed = [lic for lic in nfs.licenses if getattr(lic, "serial_number", None) == core_serial]
        assert len(installed) == 1, f"nfs licenses: {[lic.to_dict() for lic in nfs.licenses]}"
        assert installed[0].installed_license == "Core Bundle", installed[0].installed_license
        assert installed[0].host_id == core_serial, installed[0].host_id
        check(f"LicensePackage(name='nfs').get(): scope node, state {nfs.state}, Core Bundle serial {core_serial}")

        # Counting, and paging through _links.next.
        count = LicensePackage.count_collection()
        assert count == len(every), f"count_collection() {count} != {len(every)} records"
        unlicensed = LicensePackage.count_collection(state="unlicensed")
        assert unlicensed > 0, "count_collection(state='unlicensed') is 0"
        all_states = LicensePackage.count_collection(state="compliant|noncompliant|unlicensed|unknown")
        assert all_states == count + unlicensed, f"{all_states} != {count} + {unlicensed}"
        check(f"count_collection() == {count}; state=unlicensed: {unlicensed}; every state: {all_states}")

        paged = list(LicensePackage.get_collection(fields="*", max_records=2))
        assert names(paged) == listed, f"paged {names(paged)} != {listed}"
        assert [r.to_dict() for r in paged] == [r.to_dict() for r in every], "paged records differ"
        paged_unlicensed = list(LicensePackage.get_collection(fields="*", state="unlicensed", max_records=3))
        assert len(paged_unlicensed) == unlicensed, f"{len(paged_unlicensed)} != {unlicensed}"
        assert all(r.state == "unlicensed" for r in paged_unlicensed)
        check(f"get_collection(max_records=2) pages through _links.next to the same {len(paged)} records; unlicensed by 3: {len(paged_unlicensed)}")

        filtered = list(LicensePackage.get_collection(
            fields="*", serial_number=core_serial, **{"licenses.installed_license": "Core*Bundle"}))
        assert sorted(names(filtered)) == sorted(CORE_BUNDLE_PACKAGES), f"Core*Bundle lists {names(filtered)}"
        check(f"get_collection(licenses.installed_license='Core*Bundle', serial_number={core_serial}): {len(filtered)} packages")

        # Refused installs: the client's NetAppRestError with ONTAP's code and status 400.
        err = expect_error(lambda: LicensePackage(keys=[PLACEHOLDER_KEY]).post(), 400, KEY_INVALID, "placeholder key")
        check(f"post of the placeholder key: 400, code {KEY_INVALID}: {err['message']}")
        err = expect_error(lambda: LicensePackage(keys=[tampered_text]).post(), 400, SIGNATURE_INVALID, "tampered NLF")
        check(f"post of a tampered NLF: 400, code {SIGNATURE_INVALID}: {err['message']}")
        assert LicensePackage.count_collection() == count, "a refused install changed the store"

        # No such package: 404, code 4.
        expect_error(lambda: LicensePackage(name="nosuchpackage").get(), 404, ENTRY_DOES_NOT_EXIST, "get of an unknown package")
        check("get of an unknown package: 404, code 4")

    # Roles and passwords.
    with readonly:
        seen_ro = list(LicensePackage.get_collection(fields="*"))
        assert names(seen_ro) == listed, f"readonly sees {names(seen_ro)}"
        expect_error(lambda: LicensePackage(keys=[fabricpool_text]).post(), 403, "6", "readonly post")
        expect_error(lambda: LicensePackage(name="fabricpool").delete(serial_number=fabricpool_serial), 403, "6", "readonly delete")
        check("readonly user: may get, post and delete are 403 (code 6)")
    with wrong:
        try:
            next(iter(LicensePackage.get_collection(fields="*")))
        except StopIteration:
            raise AssertionError("a wrong password listed nothing instead of failing")
        except NetAppRestError as e:
            assert e.status_code == 401, f"wrong password: status {e.status_code}"
        else:
            raise AssertionError("a wrong password was let in")
        check("wrong password: 401")

    with admin:
        # Delete one package's license by its serial number.
        fp = LicensePackage(name="fabricpool")
        response = fp.delete(serial_number=fabricpool_serial)
        assert response.http_response.status_code == 200, response.http_response.status_code
        assert response.http_response.json().get("num_records") == 1, response.http_response.text
        assert LicensePackage.find(name="fabricpool") is None, "fabricpool is still listed"
        expect_error(lambda: LicensePackage(name="fabricpool").get(), 404, ENTRY_DOES_NOT_EXIST, "get of a deleted package")
        check(f"delete(serial_number={fabricpool_serial}) of fabricpool: gone (find is None, get is 404 code 4)")

        # Installed again with hydrate=True: the client follows the Location with a GET.
        again = LicensePackage(keys=[fabricpool_text])
        start = len(REQUESTS)
        again.post(hydrate=True)
        sent = [(m, p.split("?")[0], s) for m, p, s in REQUESTS[start:]]
        assert sent == [("POST", COLLECTION, 201), ("GET", f"{COLLECTION}/fabricpool", 200)], sent
        assert again.name == "fabricpool", again.name
        assert again.state == "compliant", f"hydrated state {getattr(again, 'state', None)!r}"
        assert [lic.serial_number for lic in again.licenses] == [fabricpool_serial]
        check("post(hydrate=True) of fabricpool.nlf again: the client reads fabricpool back through the Location")

        # A package of an NLFv2 cannot be deleted alone; the whole license can.
        expect_error(lambda: LicensePackage(name="nfs").delete(serial_number=core_serial), 400, "1115564", "delete of one package of an NLFv2")
        check("delete of nfs alone (part of the Core Bundle NLFv2): 400, code 1115564")
        response = LicensePackage.delete_collection(
            **{"licenses.installed_license": "Core*Bundle", "serial_number": core_serial})
        assert response.http_response.status_code == 200, response.http_response.status_code
        left = list(LicensePackage.get_collection(fields="*"))
        assert names(left) == ["fabricpool"], f"after deleting the Core Bundle: {names(left)}"
        assert LicensePackage.count_collection() == 1
        expect_error(lambda: LicensePackage.delete_collection(
            **{"licenses.installed_license": "Core*Bundle", "serial_number": core_serial}), 404, ENTRY_DOES_NOT_EXIST, "second delete")
        check(f"delete_collection(licenses.installed_license='Core*Bundle', serial_number={core_serial}): its packages gone, fabricpool left; again: 404")

        # Every record the server returned, as it sent it, through the client's schemas.
        for i, r in enumerate(RECORDS):
            load_record(r, f"record {i} ({r.get('name')})")
        before = len(RECORDS)
        unlicensed_records = list(LicensePackage.get_collection(fields="*", state="unlicensed"))
        assert unlicensed_records and len(RECORDS) == before + len(unlicensed_records)
        for i, r in enumerate(RECORDS[before:]):
            load_record(r, f"unlicensed record {i} ({r.get('name')})")
        fields = {k for r in RECORDS for k in r} | {f"licenses.{k}" for r in RECORDS for l in r.get("licenses") or [] for k in l}
        check(f"{len(RECORDS)} records load through LicensePackageSchema/LicenseSchema/... with unknown=RAISE; fields seen: {', '.join(sorted(fields))}")

        # The schema check itself refuses a field ONTAP does not have.
        try:
            load_record(dict(RECORDS[0], not_an_ontap_field=1), "a made-up field")
        except AssertionError:
            pass
        else:
            raise AssertionError("the schema check let a made-up field through")
        try:
            bad = json.loads(json.dumps(next(r for r in RECORDS if r.get("licenses"))))
            bad["licenses"][0]["not_an_ontap_field"] = 1
            load_record(bad, "a made-up nested field")
        except AssertionError:
            pass
        else:
            raise AssertionError("the schema check let a made-up nested field through")
        check("the schema check refuses a made-up field, top-level and nested")

    print("requests the client sent:")
    for method, path, status in REQUESTS:
        print(f"  {method} {path} -> {status}")
    print("all checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        print("requests the client sent:", file=sys.stderr)
        for method, path, status in REQUESTS:
            print(f"  {method} {path} -> {status}", file=sys.stderr)
        raise
