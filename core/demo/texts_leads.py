"""Correction texts of the sales team's lead enrichment prompts (English and French).

An answer is ``<company> | <industry> | <headcount> | <headquarters>``; the sales rep fixes the
field that is wrong, or the whole line when the model matched a namesake company.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.demo.picker import Picker
from core.demo.texts_assistant import Theme

Company = tuple[str, str, str, str]  # name, industry, headcount, headquarters

_EN: tuple[Company, ...] = (
    ("Northwind Logistics Ltd", "logistics", "51-200", "Leeds, UK"),
    ("Brightwater Analytics Inc", "software", "11-50", "Austin, US"),
    ("Harbour & Finch LLP", "legal services", "201-500", "Bristol, UK"),
    ("Copperleaf Dental Group", "healthcare", "51-200", "Denver, US"),
    ("Meridian Freight Co", "logistics", "501-1000", "Rotterdam, NL"),
    ("Oakridge Property Partners", "real estate", "11-50", "Manchester, UK"),
    ("Bluepeak Outdoor Gear", "retail", "201-500", "Portland, US"),
    ("Tandem Payroll Services", "financial services", "51-200", "Dublin, IE"),
    ("Quarry Lane Brewing", "food & beverage", "11-50", "Asheville, US"),
    ("Sterling Robotics plc", "industrial automation", "1001-5000", "Cambridge, UK"),
)
_EN_REBRANDS = {
    "Northwind Logistics Ltd": "Northwind Group plc",
    "Tandem Payroll Services": "Tandem HR Ltd",
    "Bluepeak Outdoor Gear": "Bluepeak Outdoors Inc",
    "Quarry Lane Brewing": "Quarry Lane Drinks Co",
}
_EN_INDUSTRIES = ("logistics", "software", "wholesale", "consulting", "healthcare", "retail", "manufacturing")
_EN_CITIES = ("London, UK", "Leeds, UK", "Birmingham, UK", "Austin, US", "Chicago, US", "Dublin, IE", "Boston, US")

_FR: tuple[Company, ...] = (
    ("Boulangerie Martin SARL", "agroalimentaire", "11-50 salariés", "Lyon, FR"),
    ("Atelier Lumière SAS", "design d'intérieur", "1-10 salariés", "Nantes, FR"),
    ("Transports Girard et Fils", "transport routier", "51-200 salariés", "Rouen, FR"),
    ("Cabinet Dubois Avocats", "services juridiques", "11-50 salariés", "Bordeaux, FR"),
    ("Vignobles Lefèvre SCEA", "viticulture", "11-50 salariés", "Beaune, FR"),
    ("Clinique des Alpes SA", "santé", "201-500 salariés", "Grenoble, FR"),
    ("Logiciels Horizon SAS", "édition de logiciels", "51-200 salariés", "Toulouse, FR"),
    ("Menuiserie Roux SARL", "bâtiment", "11-50 salariés", "Lille, FR"),
    ("Banque Populaire du Léman", "services financiers", "501-1000 salariés", "Genève, CH"),
    ("Éditions du Rivage", "édition", "11-50 salariés", "Bruxelles, BE"),
)
_FR_REBRANDS = {
    "Boulangerie Martin SARL": "Maison Martin SAS",
    "Logiciels Horizon SAS": "Horizon Numérique SAS",
    "Atelier Lumière SAS": "Lumière & Co SAS",
    "Menuiserie Roux SARL": "Roux Bois SAS",
}
_FR_INDUSTRIES = ("agroalimentaire", "commerce de gros", "conseil", "bâtiment", "santé", "transport routier")
_FR_CITIES = ("Paris, FR", "Lyon, FR", "Marseille, FR", "Lille, FR", "Nantes, FR", "Strasbourg, FR")


def _line(company: Company) -> str:
    return " | ".join(company)


def _sizes(french: bool) -> tuple[str, ...]:
    bands = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000")
    return tuple(f"{b} salariés" for b in bands) if french else bands


class _LeadThemes:
    def __init__(
        self,
        companies: Sequence[Company],
        rebrands: dict[str, str],
        industries: Sequence[str],
        cities: Sequence[str],
        *,
        french: bool,
    ) -> None:
        self.companies = tuple(companies)
        self.rebrands = rebrands
        self.industries = tuple(industries)
        self.cities = tuple(cities)
        self.sizes = _sizes(french)

    def wrong_size(self, p: Picker, _: date) -> tuple[str, str]:
        name, industry, size, city = p.pick(self.companies)
        wrong = p.other(self.sizes, size)
        return _line((name, industry, wrong, city)), _line((name, industry, size, city))

    def wrong_industry(self, p: Picker, _: date) -> tuple[str, str]:
        name, industry, size, city = p.pick(self.companies)
        wrong = p.other(self.industries, industry)
        return _line((name, wrong, size, city)), _line((name, industry, size, city))

    def wrong_location(self, p: Picker, _: date) -> tuple[str, str]:
        name, industry, size, city = p.pick(self.companies)
        wrong = p.other(self.cities, city)
        return _line((name, industry, size, wrong)), _line((name, industry, size, city))

    def wrong_company(self, p: Picker, _: date) -> tuple[str, str]:
        meant = p.pick(self.companies)
        return _line(p.other(self.companies, meant)), _line(meant)

    def outdated_name(self, p: Picker, _: date) -> tuple[str, str]:
        old = p.pick(tuple(self.rebrands))
        company = next(c for c in self.companies if c[0] == old)
        return _line(company), _line((self.rebrands[old], *company[1:]))

    def themes(self) -> dict[str, Theme]:
        return {
            "wrong_size": self.wrong_size,
            "wrong_industry": self.wrong_industry,
            "wrong_location": self.wrong_location,
            "wrong_company": self.wrong_company,
            "outdated_name": self.outdated_name,
        }


LEAD_ENRICHMENT_EN = _LeadThemes(_EN, _EN_REBRANDS, _EN_INDUSTRIES, _EN_CITIES, french=False).themes()
LEAD_ENRICHMENT_FR = _LeadThemes(_FR, _FR_REBRANDS, _FR_INDUSTRIES, _FR_CITIES, french=True).themes()
DOMAINS = (
    "northwind-logistics.co.uk",
    "brightwater.io",
    "harbourfinch.com",
    "copperleafdental.com",
    "meridianfreight.nl",
    "boulangerie-martin.fr",
    "girard-transports.fr",
    "horizon-logiciels.fr",
)
