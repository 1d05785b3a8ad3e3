/** The demo organisation and word lists for the demo data set (see `seed.ts`). Postal and area codes are real. */

export type Country = 'DE' | 'AT' | 'CH' | 'US';

export const TEAMS: readonly (readonly [string, string | null])[] = [
  ['Sales', null], ['Sales North', 'Sales'], ['Sales South', 'Sales'], ['Key Accounts', 'Sales North'],
  ['Purchasing', null], ['Quality', null], ['Finance', null],
];

export const USERS: readonly (readonly [username: string, displayName: string, role: string, team: string | null])[] = [
  ['boss', 'Margarete Hoffmann', 'boss', null],
  ['director', 'Thomas Brandt', 'sales_director', 'Sales'],
  ['lead.north', 'Katrin Vogel', 'team_lead', 'Sales North'],
  ['lead.south', 'Stefan Huber', 'team_lead', 'Sales South'],
  ['rep.anna', 'Anna Keller', 'sales_rep', 'Sales North'],
  ['rep.ben', 'Ben Wagner', 'sales_rep', 'Sales North'],
  ['rep.clara', 'Clara Becker', 'sales_rep', 'Key Accounts'],
  ['rep.dave', 'Dave Miller', 'sales_rep', 'Sales South'],
  ['buyer', 'Jonas Richter', 'purchasing', 'Purchasing'],
  ['inspector', 'Petra Lang', 'quality', 'Quality'],
  ['ar.clerk', 'Sabine Krüger', 'ar_clerk', 'Finance'],
  ['auditor', 'Michael Roth', 'auditor', null],
  ['staff', 'Lena Fischer', 'staff', null],
];

/** Share of the customers each sales rep owns. */
export const REP_WEIGHTS: readonly (readonly [string, number])[] = [['rep.anna', 30], ['rep.ben', 28], ['rep.clara', 12], ['rep.dave', 30]];
export const CURRENCY: Readonly<Record<Country, string>> = { DE: 'EUR', AT: 'EUR', CH: 'CHF', US: 'USD' };
export const TLD: Readonly<Record<Country, string>> = { DE: 'de', AT: 'at', CH: 'ch', US: 'com' };

/** City, first postal code, how many further codes (in steps), step, region, phone area code. */
export type City = readonly [name: string, postal: string, span: number, step: number, region: string, area: string];

export const CITIES: Readonly<Record<Country, readonly City[]>> = {
  DE: [
    ['Berlin', '10115', 200, 1, 'Berlin', '30'], ['Hamburg', '20095', 400, 1, 'Hamburg', '40'],
    ['München', '80331', 600, 1, 'Bayern', '89'], ['Köln', '50667', 300, 1, 'Nordrhein-Westfalen', '221'],
    ['Frankfurt am Main', '60311', 300, 1, 'Hessen', '69'], ['Stuttgart', '70173', 400, 1, 'Baden-Württemberg', '711'],
    ['Düsseldorf', '40210', 400, 1, 'Nordrhein-Westfalen', '211'], ['Dortmund', '44135', 230, 1, 'Nordrhein-Westfalen', '231'],
    ['Essen', '45127', 230, 1, 'Nordrhein-Westfalen', '201'], ['Leipzig', '04103', 250, 1, 'Sachsen', '341'],
    ['Bremen', '28195', 580, 1, 'Bremen', '421'], ['Dresden', '01067', 260, 1, 'Sachsen', '351'],
    ['Hannover', '30159', 500, 1, 'Niedersachsen', '511'], ['Nürnberg', '90402', 80, 1, 'Bayern', '911'],
    ['Augsburg', '86150', 49, 1, 'Bayern', '821'], ['Karlsruhe', '76131', 98, 1, 'Baden-Württemberg', '721'],
    ['Mannheim', '68159', 150, 1, 'Baden-Württemberg', '621'], ['Bielefeld', '33602', 130, 1, 'Nordrhein-Westfalen', '521'],
    ['Ulm', '89073', 8, 1, 'Baden-Württemberg', '731'], ['Regensburg', '93047', 12, 1, 'Bayern', '941'],
    ['Kiel', '24103', 46, 1, 'Schleswig-Holstein', '431'], ['Freiburg im Breisgau', '79098', 13, 1, 'Baden-Württemberg', '761'],
    ['Wolfsburg', '38440', 38, 1, 'Niedersachsen', '5361'], ['Ingolstadt', '85049', 8, 1, 'Bayern', '841'],
  ],
  AT: [
    ['Wien', '1010', 22, 10, 'Wien', '1'], ['Graz', '8010', 5, 10, 'Steiermark', '316'],
    ['Linz', '4020', 3, 10, 'Oberösterreich', '732'], ['Salzburg', '5020', 0, 1, 'Salzburg', '662'],
    ['Innsbruck', '6020', 0, 1, 'Tirol', '512'], ['Klagenfurt am Wörthersee', '9020', 0, 1, 'Kärnten', '463'],
    ['St. Pölten', '3100', 0, 1, 'Niederösterreich', '2742'], ['Wels', '4600', 0, 1, 'Oberösterreich', '7242'],
    ['Dornbirn', '6850', 0, 1, 'Vorarlberg', '5572'],
  ],
  CH: [
    ['Zürich', '8001', 54, 1, 'ZH', '44'], ['Basel', '4001', 57, 1, 'BS', '61'], ['Bern', '3011', 16, 1, 'BE', '31'],
    ['Genève', '1201', 8, 1, 'GE', '22'], ['Lausanne', '1003', 15, 1, 'VD', '21'], ['Luzern', '6003', 3, 1, 'LU', '41'],
    ['St. Gallen', '9000', 16, 1, 'SG', '71'], ['Winterthur', '8400', 10, 1, 'ZH', '52'], ['Zug', '6300', 0, 1, 'ZG', '41'],
  ],
  US: [
    ['New York', '10001', 40, 1, 'NY', '212'], ['Chicago', '60601', 60, 1, 'IL', '312'], ['Houston', '77002', 90, 1, 'TX', '713'],
    ['Detroit', '48201', 30, 1, 'MI', '313'], ['Charlotte', '28202', 80, 1, 'NC', '704'], ['Atlanta', '30303', 60, 1, 'GA', '404'],
    ['Pittsburgh', '15201', 30, 1, 'PA', '412'], ['Milwaukee', '53202', 30, 1, 'WI', '414'], ['Cleveland', '44101', 40, 1, 'OH', '216'],
    ['Columbus', '43201', 30, 1, 'OH', '614'], ['Minneapolis', '55401', 50, 1, 'MN', '612'], ['Boston', '02108', 30, 1, 'MA', '617'],
  ],
};

export const STREETS: Readonly<Record<Country, readonly string[]>> = {
  DE: ['Industriestraße', 'Hauptstraße', 'Bahnhofstraße', 'Robert-Bosch-Straße', 'Carl-Zeiss-Straße', 'Siemensstraße', 'Werkstraße', 'Lindenallee', 'Am Hafen', 'Gewerbering', 'Daimlerstraße', 'Max-Planck-Straße', 'Schillerstraße', 'Im Gewerbepark'],
  AT: ['Industriestraße', 'Hauptplatz', 'Bahnhofstraße', 'Linzer Straße', 'Gewerbepark', 'Wiener Straße', 'Mariahilfer Straße', 'Dr.-Karl-Renner-Straße', 'Am Hafen'],
  CH: ['Bahnhofstrasse', 'Industriestrasse', 'Hauptstrasse', 'Seestrasse', 'Zürcherstrasse', 'Gewerbestrasse', 'Rue du Rhône', 'Poststrasse', 'Bernstrasse'],
  US: ['Main Street', 'Commerce Drive', 'Industrial Parkway', 'Oak Avenue', 'Lakeshore Boulevard', 'Enterprise Way', 'Technology Drive', 'Market Street', 'Elm Street'],
};

/** Industry, German name parts, English name parts. */
export const INDUSTRIES: readonly (readonly [industry: string, de: readonly string[], en: readonly string[]])[] = [
  ['Mechanical Engineering', ['Maschinenbau', 'Anlagenbau', 'Antriebstechnik', 'Fördertechnik'], ['Machinery', 'Engineering', 'Drive Systems']],
  ['Automotive', ['Fahrzeugtechnik', 'Autoteile', 'Karosseriebau'], ['Automotive', 'Auto Parts', 'Motor Components']],
  ['Chemicals', ['Chemie', 'Lacke', 'Kunststoffe'], ['Chemicals', 'Coatings', 'Polymers']],
  ['Food & Beverage', ['Lebensmittel', 'Feinkost', 'Getränke', 'Backwaren'], ['Foods', 'Beverages', 'Bakeries']],
  ['Medical Devices', ['Medizintechnik', 'Labortechnik'], ['Medical', 'Lab Systems']],
  ['Construction', ['Bau', 'Hochbau', 'Baustoffe', 'Holzbau'], ['Construction', 'Builders', 'Building Supply']],
  ['Logistics', ['Logistik', 'Spedition', 'Lagertechnik'], ['Logistics', 'Freight', 'Warehousing']],
  ['Electronics', ['Elektronik', 'Elektrotechnik', 'Steuerungstechnik'], ['Electronics', 'Controls', 'Electric']],
  ['Metalworking', ['Metallbau', 'Stahlbau', 'Präzisionsteile', 'Zerspanung'], ['Metal Works', 'Steel', 'Precision Parts']],
  ['Energy', ['Energietechnik', 'Solartechnik', 'Stadtwerke'], ['Energy', 'Power Systems', 'Solar']],
  ['Packaging', ['Verpackung', 'Etiketten'], ['Packaging', 'Labels']],
  ['Furniture', ['Möbelwerke', 'Büroeinrichtung'], ['Furniture', 'Office Interiors']],
  ['Agriculture', ['Landtechnik', 'Agrarhandel'], ['Farm Equipment', 'Agri Supply']],
  ['Retail', ['Handelsgesellschaft', 'Fachhandel', 'Werkzeughandel'], ['Supply', 'Trading', 'Tool Supply']],
];

export const LEGAL_FORMS: Readonly<Record<Country, readonly string[]>> = {
  DE: ['GmbH', 'GmbH', 'GmbH', 'AG', 'GmbH & Co. KG', 'KG', 'e.K.'],
  AT: ['GmbH', 'GmbH', 'AG', 'KG', 'GesmbH'],
  CH: ['AG', 'AG', 'GmbH', 'SA'],
  US: ['Inc.', 'Inc.', 'LLC', 'Corp.', 'Co.'],
};

export const NAME_PREFIXES = ['Alpen', 'Rhein', 'Nord', 'Süd', 'Techno', 'Pro', 'Inter', 'Euro', 'Omni', 'Prima', 'Contra', 'Helio', 'Vario', 'Terra', 'Astra', 'Delta', 'Sigma', 'Iso'];
export const NAME_SUFFIXES = ['tec', 'tronic', 'form', 'plan', 'line', 'flex', 'matic', 'therm', 'werk', 'logic', 'mess', 'tech'];
export const REGION_ADJECTIVES: Readonly<Record<Country, readonly string[]>> = {
  DE: ['Bayerische', 'Rheinische', 'Hanseatische', 'Schwäbische', 'Westfälische', 'Sächsische', 'Fränkische'],
  AT: ['Steirische', 'Tiroler', 'Kärntner', 'Salzburger', 'Donau'],
  CH: ['Zürcher', 'Basler', 'Berner', 'Ostschweizer', 'Helvetia'],
  US: ['Great Lakes', 'Midwest', 'Atlantic', 'Pioneer', 'Keystone', 'Liberty', 'Summit', 'Northern'],
};

export const FIRST_NAMES_DE = ['Andreas', 'Birgit', 'Christian', 'Daniela', 'Elke', 'Florian', 'Gabriele', 'Hannes', 'Ingrid', 'Jürgen', 'Karin', 'Lukas', 'Martina', 'Niklas', 'Olga', 'Peter', 'Ralf', 'Sandra', 'Tobias', 'Ursula', 'Vanessa', 'Werner', 'Yvonne', 'Matthias', 'Julia', 'Sebastian', 'Monika', 'Felix'];
export const LAST_NAMES_DE = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Hofmann', 'Hartmann', 'Lange', 'Huber', 'Gruber', 'Steiner', 'Brunner', 'Keller', 'Frei', 'Baumann'];
export const FIRST_NAMES_US = ['James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'David', 'Linda', 'William', 'Susan', 'Richard', 'Karen', 'Joseph', 'Nancy', 'Thomas', 'Lisa'];
export const LAST_NAMES_US = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Thompson', 'Harris', 'Clark'];
export const CONTACT_TITLES = ['Head of Purchasing', 'Buyer', 'Managing Director', 'CFO', 'Plant Manager', 'Quality Manager', 'Accounts Payable', 'Operations Manager', 'Technical Director', 'Procurement Specialist'];

/** Product family: name, variants, unit of measure, list price range in EUR, reduced VAT, quantity range. */
export type Family = readonly [name: string, variants: readonly string[], uom: string, minPrice: number, maxPrice: number, reducedTax: boolean, maxQty: number];

export const PRODUCT_FAMILIES: readonly Family[] = [
  ['Hydraulic Pump', ['HP-100', 'HP-200', 'HP-400', 'HP-800'], 'EA', 180, 2400, false, 8],
  ['Ball Bearing', ['6204-2RS', '6205-2RS', '6306-ZZ', '6008-2RS'], 'EA', 4, 40, false, 200],
  ['Servo Motor', ['250 W', '750 W', '1.5 kW', '3 kW'], 'EA', 320, 2900, false, 10],
  ['Hex Bolt DIN 933', ['M6x30', 'M8x40', 'M10x50', 'M12x60'], 'BOX', 12, 65, false, 50],
  ['Steel Tube', ['20x2 mm', '30x3 mm', '48x4 mm'], 'M', 6, 38, false, 120],
  ['Copper Cable NYM-J', ['3x1.5', '5x2.5', '5x6'], 'M', 1, 9, false, 500],
  ['PLC Controller', ['S-10', 'S-20', 'S-40'], 'EA', 450, 3800, false, 5],
  ['Frequency Inverter', ['FI-2', 'FI-5', 'FI-11'], 'EA', 260, 1900, false, 6],
  ['Pneumatic Cylinder', ['ISO 32/100', 'ISO 50/200', 'ISO 80/250'], 'EA', 55, 420, false, 20],
  ['Safety Gloves', ['Size 8', 'Size 9', 'Size 10'], 'BOX', 18, 45, false, 40],
  ['Industrial Lubricant', ['5 L', '20 L', '200 L'], 'EA', 35, 1200, false, 15],
  ['Conveyor Belt', ['500 mm', '800 mm', '1200 mm'], 'M', 40, 210, false, 60],
  ['Sensor Inductive', ['M12', 'M18', 'M30'], 'EA', 28, 140, false, 40],
  ['Technical Handbook', ['Hydraulics', 'Pneumatics', 'Automation'], 'EA', 39, 89, true, 10],
  ['Stainless Sheet 1.4301', ['1 mm', '2 mm', '3 mm'], 'KG', 4, 12, false, 400],
  ['Gear Reducer', ['GR-40', 'GR-63', 'GR-90'], 'EA', 240, 1600, false, 6],
  ['Welding Wire', ['0.8 mm', '1.0 mm', '1.2 mm'], 'KG', 3, 9, false, 300],
  ['Filter Cartridge', ['10 µm', '25 µm', '50 µm'], 'EA', 9, 65, false, 80],
  ['Work Bench', ['1500 mm', '2000 mm'], 'EA', 380, 1250, false, 4],
  ['Spare Parts Kit', ['Basic', 'Pro', 'Premium'], 'SET', 95, 890, false, 6],
  ['Coffee for Canteen', ['Beans 1 kg', 'Ground 500 g'], 'EA', 12, 24, true, 60],
  ['Field Service', ['Technician', 'Engineer'], 'H', 85, 145, false, 40],
  ['Training Course', ['1 day', '3 days'], 'EA', 690, 1890, false, 4],
  ['Label Roll', ['50x25', '100x50', '100x150'], 'EA', 6, 28, false, 100],
  ['Pallet Jack', ['2000 kg', '2500 kg'], 'EA', 290, 690, false, 3],
  ['Linear Guide Rail', ['15 mm', '20 mm', '25 mm'], 'M', 45, 160, false, 30],
  ['Protective Goggles', ['Clear', 'Tinted'], 'BOX', 25, 60, false, 30],
  ['Control Cabinet', ['600x800', '800x1200'], 'EA', 520, 1900, false, 3],
];

export const BANK_PREFIXES = ['SEPA', 'SWIFT', 'ACH', 'RF'];
