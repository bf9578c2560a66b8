"""Demo customer names: plausible company and person names from word lists, unique per customer index."""

import math

# Names are built from word lists, and each customer index maps to its own combination (an affine bijection
# of the index over all combinations), so names are unique and a customer keeps its name in a bigger run.
COMPANY_WORDS = (
    "Northwind", "Bluewater", "Redstone", "Silverline", "Greenfield", "Harbor", "Summit", "Oakridge", "Riverside",
    "Maple", "Granite", "Cedar", "Atlas", "Beacon", "Crescent", "Evergreen", "Falcon", "Golden", "Highland",
    "Ironwood", "Juniper", "Keystone", "Lakeside", "Meridian", "Northgate", "Orchard", "Pinnacle", "Quarry",
    "Ridgeway", "Sterling", "Trident", "Union", "Vantage", "Westbrook", "Willow", "Yardley", "Zenith",
    "Brightwater", "Copper", "Driftwood",
)  # fmt: skip
COMPANY_PLACES = ("Bay", "Bridge", "Field", "Hill", "Point", "Park", "Valley", "Lane", "Crest", "Gate", "Stone",
                  "Brook", "Rock", "Wood", "Vale", "Cross", "Ford", "Mill", "Port", "Way")  # fmt: skip
COMPANY_SUFFIXES = ("Logistics", "Trading", "Systems", "Foods", "Motors", "Partners", "Works", "Group", "Labs",
                    "Supply", "Health", "Studio")  # fmt: skip
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hannah", "Isaac", "Julia", "Karim", "Laura", "Marco",
    "Nina", "Oliver", "Paula", "Quentin", "Rosa", "Samuel", "Tara", "Umar", "Vera", "William", "Xenia", "Yusuf",
    "Zoe", "Aiko", "Bruno", "Chloe", "Diego", "Emma", "Farah", "Georg", "Helena", "Ivan", "Jonas", "Katrin", "Leon",
    "Mia", "Noah", "Olga", "Pedro", "Ruth", "Stefan", "Tomas", "Ursula", "Victor", "Wen", "Yara", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Fischer", "Meyer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein",
    "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Hartmann", "Lange", "Krüger", "Werner", "Lehmann",
    "Köhler", "Walter", "Peters", "Kaiser", "Fuchs", "Lang", "Scholz", "Jung", "Hahn", "Vogel", "Roth", "Frank",
    "Berger", "Keller", "Winter", "Sommer", "Brandt", "Haas", "Graf", "Dietrich", "Kuhn", "Pohl", "Engel", "Horn",
    "Busch", "Bauer", "Arnold", "Lorenz", "Ludwig",
)  # fmt: skip
NAME_STRIDE = 7919  # a prime: coprime with every combination count here, so index -> combination is one-to-one


def _combination(index: int, seed: int, sizes: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The index's own combination of one item per list (one-to-one below the product), and the lap number."""
    space = math.prod(sizes)
    k = (index * NAME_STRIDE + seed) % space
    parts = []
    for size in reversed(sizes):
        k, part = divmod(k, size)
        parts.append(part)
    return tuple(reversed(parts)), index // space


def customer_name(index: int, seed: int, is_person: bool) -> str:
    if is_person:
        (first, last), lap = _combination(index, seed, (len(FIRST_NAMES), len(LAST_NAMES)))
        name = f"{FIRST_NAMES[first]} {LAST_NAMES[last]}"
    else:
        (word, place, suffix), lap = _combination(
            index, seed, (len(COMPANY_WORDS), len(COMPANY_PLACES), len(COMPANY_SUFFIXES))
        )
        name = f"{COMPANY_WORDS[word]} {COMPANY_PLACES[place]} {COMPANY_SUFFIXES[suffix]}"
    return f"{name} {lap + 1}" if lap else name
