"""A realistic catalog and a few customers for `prorata serve --demo`.

Everything goes through the same use cases as the API, so the demo data obeys every rule a
client's data would, and the demo doubles as a smoke test of the catalog."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.services import access, catalog, parties, rates, subscriptions
from prorata.services.ports import OPERATOR

M365 = [  # id, name, price, erp price
    ("m365-basic", "Microsoft 365 Business Basic", "6.00", "7.20"),
    ("m365-standard", "Microsoft 365 Business Standard", "12.50", "15.00"),
    ("m365-premium", "Microsoft 365 Business Premium", "22.00", "26.40"),
]
HOSTING = [  # id, name, price per site per year, included storage, max sites
    ("hosting-bronze", "Hosting Bronze", "60.00", 10, 5),
    ("hosting-silver", "Hosting Silver", "110.00", 25, 25),
    ("hosting-gold", "Hosting Gold", "200.00", 50, 100),
]


def _ladder(ids: list[str], index: int) -> list[dict[str, str]]:
    """C6: each step upgrades to the next plan and downgrades to the previous one."""
    targets = []
    if index + 1 < len(ids):
        targets.append({"plan": ids[index + 1], "kind": "upgrade"})
    if index > 0:
        targets.append({"plan": ids[index - 1], "kind": "downgrade"})
    return targets


def _plans() -> list[dict[str, Any]]:
    m365_ids = [p[0] for p in M365]
    plans: list[dict[str, Any]] = [
        {"id": pid, "product": "m365", "name": name, "billing_type": "monthly",
         "currency": "USD", "periods": ["P1M", "P1Y"],
         "resources": [{"id": "seats", "name": "Licenses", "unit": "license", "primary": True,
                        "min": 1, "max": 300, "price": price, "erp_price": erp}],
         "switch_to": _ladder(m365_ids, i),
         "settings": {"manual_renewal_point": 15, "auto_renewal_point": 7}}
        for i, (pid, name, price, erp) in enumerate(M365)
    ]
    plans.append(
        {"id": "gws-business-starter", "product": "gws",
         "name": "Google Workspace Business Starter",
         "billing_type": "monthly_commitment", "currency": "USD", "periods": ["P1Y"],
         "resources": [{"id": "seats", "name": "Users", "unit": "user", "primary": True,
                        "min": 1, "max": 300, "price": "7.20", "erp_price": "8.40"}]})
    hosting_ids = [p[0] for p in HOSTING]
    plans.extend(
        {"id": pid, "product": "hosting", "name": name, "billing_type": "long_term",
         "currency": "USD", "periods": ["P1Y"],
         "resources": [
             {"id": "sites", "name": "Web sites", "unit": "site", "primary": True, "min": 1,
              "max": max_sites, "price": price, "setup_price": "25.00"},
             {"id": "storage_gb", "name": "Storage", "unit": "GB", "priority": 1,
              "included": included, "min": 0, "max": 2000, "price": "0.50"},
         ],
         "switch_to": _ladder(hosting_ids, i),
         "settings": {"upgrade_fee": "10.00", "downgrade_fee": "25.00"}}
        for i, (pid, name, price, included, max_sites) in enumerate(HOSTING)
    )
    plans.append(
        {"id": "azure-payg", "product": "azure", "name": "Azure Plan", "billing_type": "payg",
         "currency": "USD", "periods": [], "settings": {"markup_percent": "8"}})
    return plans


PRODUCTS = [
    {"id": "m365", "name": "Microsoft 365", "vendor": "instant",
     "attributes": [{"id": "domain", "name": "Tenant domain", "audience": "both",
                     "required": False}]},
    {"id": "gws", "name": "Google Workspace", "vendor": "instant"},
    {"id": "hosting", "name": "Web hosting", "vendor": "instant"},
    {"id": "azure", "name": "Microsoft Azure", "vendor": "instant"},
]
RESELLERS = [
    {"id": "northwind", "name": "Northwind Cloud"},
    {"id": "contoso-partners", "name": "Contoso Partners", "parent": "northwind"},
]
CUSTOMERS = [
    {"id": "acme", "name": "Acme Corporation", "reseller": "northwind", "inn": "7701234567"},
    {"id": "globex", "name": "Globex Inc", "reseller": "contoso-partners", "billing_day": 15},
    {"id": "initech", "name": "Initech LLC", "credit_limit": "500.00"},
    {"id": "mueller", "name": "Müller Maschinenbau GmbH", "reseller": "northwind",
     "currency": "EUR", "billing_day": 5},
]
SUBSCRIPTIONS = [
    {"customer": "acme", "plan": "m365-standard", "period": "P1Y", "resources": {"seats": 25}},
    {"customer": "acme", "plan": "gws-business-starter", "period": "P1Y",
     "resources": {"seats": 10}},
    {"customer": "globex", "plan": "hosting-silver", "period": "P1Y",
     "resources": {"sites": 3, "storage_gb": 40}},
    {"customer": "initech", "plan": "azure-payg", "resources": {}},
    {"customer": "mueller", "plan": "m365-basic", "period": "P1M", "resources": {"seats": 8}},
]


# People who sign in to the control panel: one per kind of party, so a newcomer sees the
# operator's, a reseller's and a customer's panel. The password is public: demo data only.
DEMO_PASSWORD = "demo-password"
DEMO_USERS = [  # e-mail, body of POST /v1/users (no party: the operator)
    ("operator@demo.example", {}),
    ("northwind@demo.example", {"reseller": "northwind"}),
    ("acme@demo.example", {"customer": "acme"}),
]


def load_demo(database: Any, today: date) -> bool:
    """Loads the demo data in one transaction; returns False when it is there already, so a
    restarted `serve --demo` neither fails nor duplicates anything."""
    with database.uow() as uow:
        if uow.get_product("m365") is not None:
            return False
        for product in PRODUCTS:
            catalog.create_product(uow, OPERATOR, product)
        for plan in _plans():
            catalog.create_plan(uow, OPERATOR, plan)
        # T6: the EUR customer buys USD-priced plans; a rate from well before any charge date.
        for src, dst, rate in (("USD", "EUR", "0.9200"), ("EUR", "USD", "1.0870")):
            rates.add_exchange_rate(uow, OPERATOR, {"from": src, "to": dst, "rate": rate,
                                                    "effective_from": "2000-01-01"})
        for reseller in RESELLERS:
            parties.create_reseller(uow, OPERATOR, reseller)
        for customer in CUSTOMERS:
            parties.create_customer(uow, OPERATOR, customer)
        for sub in SUBSCRIPTIONS:
            subscriptions.create_subscription(uow, OPERATOR, dict(sub), today)
        for email, owner in DEMO_USERS:
            access.create_user(uow, OPERATOR, {"email": email, "password": DEMO_PASSWORD,
                                               **owner})
        uow.commit()
    return True
