//! Word lists and the seller's catalogue, as constants so that a million
//! invoices cost no allocation beyond the rows themselves.
//!
//! Names are invented from common words; phone numbers use the 555-01xx
//! range reserved for fiction and e-mail domains end in `.example`
//! (RFC 2606), so a demo never reaches a real business.

/// First word of a business name: 64 entries.
pub(crate) const NAME_FIRST: [&str; 64] = [
    "Northwind",
    "Harbor",
    "Summit",
    "Cedar",
    "Riverside",
    "Bluebird",
    "Ironwood",
    "Maple",
    "Granite",
    "Oakridge",
    "Silverline",
    "Lakeside",
    "Redwood",
    "Pinecrest",
    "Copperfield",
    "Evergreen",
    "Highland",
    "Meadowbrook",
    "Brightwater",
    "Stonebridge",
    "Fairview",
    "Kingfisher",
    "Westbrook",
    "Eastgate",
    "Southport",
    "Hillcrest",
    "Foxglove",
    "Willow",
    "Sandstone",
    "Blackthorn",
    "Clearwater",
    "Juniper",
    "Millbrook",
    "Ashford",
    "Birchwood",
    "Falcon",
    "Greystone",
    "Hawthorn",
    "Larkspur",
    "Marigold",
    "Oakmont",
    "Pebble Creek",
    "Quarry Hill",
    "Rosewood",
    "Seabright",
    "Thistle",
    "Valley",
    "Wren",
    "Alder",
    "Beacon",
    "Coastal",
    "Driftwood",
    "Elmstead",
    "Fernhill",
    "Goldcrest",
    "Heron",
    "Inkwell",
    "Kestrel",
    "Lindenwood",
    "Moorland",
    "Nettlefield",
    "Orchard",
    "Primrose",
    "Saltmarsh",
];

/// The trade in a business name: 64 entries.
pub(crate) const NAME_TRADE: [&str; 64] = [
    "Bakery",
    "Plumbing",
    "Dental Care",
    "Logistics",
    "Print Works",
    "Landscaping",
    "Electrical",
    "Coffee Roasters",
    "Builders",
    "Auto Repair",
    "Veterinary Clinic",
    "Florists",
    "Brewing",
    "Catering",
    "Joinery",
    "Cleaning Services",
    "Fitness",
    "Architects",
    "Bookkeeping",
    "Hardware",
    "Textiles",
    "Marine Supply",
    "Roofing",
    "Opticians",
    "Pharmacy",
    "Studios",
    "Software",
    "Engineering",
    "Farms",
    "Machine Shop",
    "Hotel",
    "Restaurant",
    "Physiotherapy",
    "Signs",
    "Glass",
    "Interiors",
    "Removals",
    "Security",
    "Surveyors",
    "Tiling",
    "Upholstery",
    "Vineyards",
    "Welding",
    "Kitchens",
    "Nurseries",
    "Outfitters",
    "Packaging",
    "Pet Supplies",
    "Cycles",
    "Dairy",
    "Events",
    "Garden Centre",
    "Heating",
    "IT Services",
    "Laundry",
    "Media",
    "Motors",
    "Opticals",
    "Photography",
    "Recruitment",
    "Salon",
    "Tailoring",
    "Toys",
    "Travel",
];

/// Legal form ending a business name: 8 entries.
pub(crate) const NAME_FORM: [&str; 8] = [
    "LLC", "Ltd", "Inc.", "& Co.", "Group", "Partners", "Co-op", "& Sons",
];

/// Distinct names the three lists make before a town must be added.
pub(crate) const NAME_COMBINATIONS: usize = NAME_FIRST.len() * NAME_TRADE.len() * NAME_FORM.len();

/// Added in brackets once the combinations run out, so names stay unique.
pub(crate) const TOWNS: [&str; 16] = [
    "Springfield",
    "Riverton",
    "Lakewood",
    "Fairfield",
    "Georgetown",
    "Franklin",
    "Clinton",
    "Salem",
    "Madison",
    "Greenville",
    "Bristol",
    "Dover",
    "Oxford",
    "Ashland",
    "Milton",
    "Newport",
];

/// Mailbox names that receive invoices.
pub(crate) const MAILBOXES: [&str; 5] = ["accounts", "ap", "billing", "finance", "invoices"];

pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How an item is counted on an invoice line.
#[derive(Clone, Copy)]
pub(crate) enum Quantity {
    /// Always 1 (a visit, a contract).
    One,
    /// Hours in quarters: 0.25 to 40.
    Hours,
    /// Whole pieces: 1 to 50.
    Units,
    /// Metres or kilograms in tenths: 0.5 to 120.
    Measured,
}

/// One thing the demo's seller sells. Prices are in hundredths of a
/// "dollar-like" unit and converted to each currency's minor unit, so a
/// JPY book shows yen amounts of a believable size.
pub(crate) struct Item {
    pub(crate) description: &'static str,
    pub(crate) price_cents_min: i64,
    pub(crate) price_cents_max: i64,
    pub(crate) quantity: Quantity,
    /// Food, books and medical supplies carry no tax in most regimes.
    pub(crate) zero_rated: bool,
}

const fn item(
    description: &'static str,
    price_cents_min: i64,
    price_cents_max: i64,
    quantity: Quantity,
) -> Item {
    Item {
        description,
        price_cents_min,
        price_cents_max,
        quantity,
        zero_rated: false,
    }
}

const fn zero_rated(
    description: &'static str,
    price_cents_min: i64,
    price_cents_max: i64,
    quantity: Quantity,
) -> Item {
    Item {
        zero_rated: true,
        ..item(description, price_cents_min, price_cents_max, quantity)
    }
}

/// A general business supplier: services by the hour, contracts, goods.
pub(crate) const CATALOGUE: [Item; 40] = [
    item(
        "Consulting, senior (hourly)",
        12_000,
        22_000,
        Quantity::Hours,
    ),
    item(
        "Project management (hourly)",
        8_500,
        14_000,
        Quantity::Hours,
    ),
    item("Technician labour (hourly)", 6_500, 11_000, Quantity::Hours),
    item(
        "Design and artwork (hourly)",
        7_000,
        12_000,
        Quantity::Hours,
    ),
    item(
        "Bookkeeping services (hourly)",
        4_500,
        9_000,
        Quantity::Hours,
    ),
    item("On-site technician call-out", 7_500, 15_000, Quantity::One),
    item("Emergency call-out surcharge", 9_000, 18_000, Quantity::One),
    item("Monthly support retainer", 45_000, 250_000, Quantity::One),
    item(
        "Annual maintenance contract",
        90_000,
        480_000,
        Quantity::One,
    ),
    item("Website hosting, 12 months", 18_000, 60_000, Quantity::One),
    item(
        "Software licence, per seat per month",
        1_200,
        4_900,
        Quantity::Units,
    ),
    item("Installation and set-up", 15_000, 90_000, Quantity::One),
    item(
        "Training workshop, half day",
        60_000,
        140_000,
        Quantity::One,
    ),
    item("Window cleaning, all floors", 6_000, 18_000, Quantity::One),
    item(
        "Office cleaning, weekly visit",
        9_000,
        26_000,
        Quantity::Units,
    ),
    item(
        "Copy paper A4, box of 5 reams",
        2_800,
        4_500,
        Quantity::Units,
    ),
    item(
        "Printer toner cartridge, black",
        6_500,
        14_000,
        Quantity::Units,
    ),
    item("Safety gloves, pack of 12", 1_800, 3_600, Quantity::Units),
    item("LED panel light 600 x 600", 3_900, 8_900, Quantity::Units),
    item(
        "Copper pipe 22 mm, per metre",
        650,
        1_400,
        Quantity::Measured,
    ),
    item(
        "Electrical cable 2.5 mm2, per metre",
        90,
        260,
        Quantity::Measured,
    ),
    item(
        "Hardwood decking board, per metre",
        450,
        1_100,
        Quantity::Measured,
    ),
    item("Gravel, per kg", 20, 60, Quantity::Measured),
    item("Concrete mix, 25 kg bag", 600, 1_200, Quantity::Units),
    item("Exterior paint, 10 L", 5_500, 11_000, Quantity::Units),
    item("Pallet delivery", 4_500, 12_000, Quantity::One),
    item("Courier delivery, same day", 1_500, 4_500, Quantity::One),
    item("Freight surcharge", 2_000, 8_000, Quantity::One),
    item("Equipment hire, per day", 4_500, 25_000, Quantity::Units),
    item("Van hire, per day", 6_500, 12_000, Quantity::Units),
    item("Storage, per pallet per week", 400, 1_200, Quantity::Units),
    item("Repair parts kit", 2_500, 18_000, Quantity::One),
    item(
        "Printed brochures, box of 250",
        9_000,
        26_000,
        Quantity::Units,
    ),
    item("Business cards, 500", 2_500, 6_000, Quantity::Units),
    item(
        "Catering platter, serves 10",
        6_500,
        14_000,
        Quantity::Units,
    ),
    zero_rated("Coffee beans, 1 kg", 1_800, 3_200, Quantity::Units),
    zero_rated("Wholesale food case, mixed", 2_500, 9_000, Quantity::Units),
    zero_rated("Reference books and manuals", 1_500, 6_000, Quantity::Units),
    zero_rated("First-aid kit refill", 1_200, 4_800, Quantity::Units),
    zero_rated("Flour, per kg", 80, 240, Quantity::Measured),
];

/// How customers pay, as the importer's method names.
pub(crate) const METHODS: [&str; 4] = ["bank_transfer", "card", "check", "ach"];
/// How often each of [`METHODS`] is a customer's usual one.
pub(crate) const METHOD_WEIGHTS: [u32; 4] = [40, 20, 15, 25];
