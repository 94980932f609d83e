// The cast of the demo ledger (DESIGN.md "The seed scenario"): a 2020 report on charity
// giving through an e-commerce platform. Consumers and merchants give small amounts through
// "Goods for Good" (a share of each sale) and "Steps for Charity" (walked steps turned into
// money); three charities spend them, directly or through local partners, on water filters
// for 236 schools, music classrooms, playgrounds, meals for elderly people living alone,
// health insurance and training for women in remote villages.
import type { Role } from '@cotc/ledger';

export interface CastOrg {
  id: string;
  name: string;
  roles: Role[];
}

export const PLATFORM: CastOrg = { id: 'eshop-platform', name: 'E-commerce platform (Goods for Good, Steps for Charity)', roles: ['platform'] };

export const CHILDREN: CastOrg = { id: 'sunshine-childrens-foundation', name: "Sunshine Children's Foundation", roles: ['charity'] };
export const RURAL: CastOrg = { id: 'rural-development-foundation', name: 'Rural Development Foundation', roles: ['charity'] };
export const ELDERLY: CastOrg = { id: 'silver-years-elderly-care', name: 'Silver Years Elderly Care Association', roles: ['charity'] };

export const YUNNAN: CastOrg = { id: 'yunnan-rural-schools', name: 'Yunnan Rural Schools Network', roles: ['charity'] };
export const GUIZHOU: CastOrg = { id: 'guizhou-womens-cooperative', name: "Guizhou Women's Cooperative", roles: ['charity'] };
export const CHENGDU: CastOrg = { id: 'chengdu-neighbourhood-centre', name: 'Chengdu Neighbourhood Centre for the Elderly', roles: ['charity'] };

export const AQUAPURE: CastOrg = { id: 'aquapure-filters', name: 'AquaPure Water Filters Co.', roles: ['payee'] };
export const HARMONY: CastOrg = { id: 'harmony-instruments', name: 'Harmony Musical Instruments Ltd.', roles: ['payee'] };
export const SUNRISE: CastOrg = { id: 'sunrise-kitchen', name: 'Sunrise Community Kitchen', roles: ['payee'] };

export const AUDITOR: CastOrg = { id: 'field-auditors', name: 'Independent Field Auditors', roles: ['auditor'] };

export const CAST: CastOrg[] = [PLATFORM, CHILDREN, RURAL, ELDERLY, YUNNAN, GUIZHOU, CHENGDU, AQUAPURE, HARMONY, SUNRISE, AUDITOR];

/** The charity whose key is rotated mid-year (an org.keys adding a new key and revoking the old). */
export const ROTATING = ELDERLY;

export interface CastFund {
  id: string;
  owner: string;
  name: string;
  restricted: boolean;
  purpose: string;
  /** share of the donations it receives directly (percent; 0 = it only receives grants) */
  weight: number;
}

export const FUNDS: CastFund[] = [
  // Sunshine Children's Foundation
  { id: 'sunshine-general', owner: CHILDREN.id, name: "Sunshine Children's Foundation: general fund", restricted: false, purpose: "children's projects in rural schools, allocated by the board", weight: 5 },
  { id: 'water-filters-236-schools', owner: CHILDREN.id, name: 'Clean water: filters for 236 schools', restricted: true, purpose: 'water filters for 236 rural schools', weight: 25 },
  { id: 'music-classrooms', owner: CHILDREN.id, name: 'Music classrooms', restricted: true, purpose: 'music classrooms with instruments in rural schools', weight: 12 },
  { id: 'playgrounds', owner: CHILDREN.id, name: 'School playgrounds', restricted: true, purpose: 'safe playgrounds for rural schools', weight: 10 },
  // Rural Development Foundation
  { id: 'rural-general', owner: RURAL.id, name: 'Rural Development Foundation: general fund', restricted: false, purpose: 'rural development projects, allocated by the board', weight: 5 },
  { id: 'women-training-remote-villages', owner: RURAL.id, name: 'Training for women in remote villages', restricted: true, purpose: 'vocational training for women in remote villages', weight: 12 },
  { id: 'health-insurance', owner: RURAL.id, name: 'Health insurance for rural families', restricted: true, purpose: 'health insurance premiums for children of low-income rural families', weight: 13 },
  // Silver Years Elderly Care Association
  { id: 'silver-general', owner: ELDERLY.id, name: 'Silver Years: general fund', restricted: false, purpose: 'care for elderly people, allocated by the board', weight: 3 },
  { id: 'meals-elderly', owner: ELDERLY.id, name: 'Meals for elderly people living alone', restricted: true, purpose: 'hot meals delivered to elderly people living alone', weight: 15 },
  // Local partners (grants arrive here)
  { id: 'yunnan-schools-water', owner: YUNNAN.id, name: 'Yunnan schools: water filters', restricted: true, purpose: 'buying and installing water filters in partner schools', weight: 0 },
  { id: 'yunnan-schools-music', owner: YUNNAN.id, name: 'Yunnan schools: music classrooms', restricted: true, purpose: 'instruments for music classrooms in partner schools', weight: 0 },
  { id: 'guizhou-village-training', owner: GUIZHOU.id, name: 'Guizhou villages: training for women', restricted: true, purpose: 'training courses for women in remote villages', weight: 0 },
  { id: 'chengdu-meals-alone', owner: CHENGDU.id, name: 'Chengdu: meals for elderly people living alone', restricted: true, purpose: 'daily hot meals for elderly people living alone', weight: 0 },
];

/** How each charity's board splits an allocation from its general fund (percent of the allocation). */
export const ALLOCATIONS: Array<{ from: string; to: Array<[string, number]> }> = [
  { from: 'sunshine-general', to: [['water-filters-236-schools', 40], ['music-classrooms', 30], ['playgrounds', 30]] },
  { from: 'rural-general', to: [['women-training-remote-villages', 50], ['health-insurance', 50]] },
  { from: 'silver-general', to: [['meals-elderly', 100]] },
];

/** Grants from a charity's project fund to a local partner's fund (percent of the balance). */
export const GRANTS: Array<{ from: string; to: string; pct: number; memo: string }> = [
  { from: 'water-filters-236-schools', to: 'yunnan-schools-water', pct: 80, memo: 'grant to Yunnan Rural Schools Network: water filters for 236 schools' },
  { from: 'music-classrooms', to: 'yunnan-schools-music', pct: 60, memo: 'grant to Yunnan Rural Schools Network: instruments for music classrooms' },
  { from: 'women-training-remote-villages', to: 'guizhou-village-training', pct: 85, memo: "grant to Guizhou Women's Cooperative: courses in remote villages" },
  { from: 'meals-elderly', to: 'chengdu-meals-alone', pct: 80, memo: 'grant to Chengdu Neighbourhood Centre: meals for elderly people living alone' },
];

export type Half = 1 | 2;

export interface Payment {
  key: string;
  fund: string;
  /** percent of the fund's balance */
  pct: number;
  /** a registered payee org id, or a free-text name */
  payee: string;
  purpose: (value: number, half: Half) => string;
  /** confirmations: who, and what they attest */
  confirm: Array<{ by: string; statement: (value: number, half: Half) => string; evidence: string }>;
}

const H = (half: Half) => (half === 1 ? 'January–June 2020' : 'July–December 2020');
/** "3 music classrooms", "1 music classroom": at least one of `unit` per `cost` fen. */
const count = (value: number, cost: number, one: string, many: string) => {
  const k = Math.max(1, Math.floor(value / cost));
  return `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
};

export const PAYMENTS: Payment[] = [
  {
    key: 'water-filters',
    fund: 'yunnan-schools-water',
    pct: 95,
    payee: AQUAPURE.id,
    purpose: (_v, half) => (half === 1 ? 'water filters for the first 118 of 236 rural schools' : 'water filters for the remaining 118 of 236 rural schools'),
    confirm: [
      {
        by: AQUAPURE.id,
        statement: (_v, half) => (half === 1 ? '118 water filters installed in 118 schools' : '118 more water filters installed: 236 water filters in 236 schools'),
        evidence: 'installation-report',
      },
      {
        by: AUDITOR.id,
        statement: (_v, half) => (half === 1 ? 'field visit: 118 water filters installed and in use' : 'field visit: 236 water filters installed and in use at 236 schools'),
        evidence: 'field-audit',
      },
    ],
  },
  {
    key: 'instruments',
    fund: 'yunnan-schools-music',
    pct: 90,
    payee: HARMONY.id,
    purpose: (v) => `instruments for ${count(v, 50_000, 'rural music classroom', 'rural music classrooms')}`,
    confirm: [{ by: HARMONY.id, statement: (v) => `instruments delivered to ${count(v, 50_000, 'music classroom', 'music classrooms')}`, evidence: 'delivery-note' }],
  },
  {
    key: 'classroom-renovation',
    fund: 'music-classrooms',
    pct: 50,
    payee: 'County Builders Cooperative (classroom renovation)',
    purpose: (v) => `turning ${count(v, 30_000, 'spare room', 'spare rooms')} into music classrooms`,
    confirm: [{ by: AUDITOR.id, statement: (v) => `field visit: ${count(v, 30_000, 'music classroom', 'music classrooms')} renovated and in use`, evidence: 'field-audit' }],
  },
  {
    key: 'playgrounds',
    fund: 'playgrounds',
    pct: 85,
    payee: 'Anping Playground Builders',
    purpose: (v) => `building ${count(v, 100_000, 'school playground', 'school playgrounds')}`,
    confirm: [{ by: AUDITOR.id, statement: (v) => `field visit: ${count(v, 100_000, 'playground', 'playgrounds')} built, inspected and open`, evidence: 'field-audit' }],
  },
  {
    key: 'meals',
    fund: 'chengdu-meals-alone',
    pct: 90,
    payee: SUNRISE.id,
    purpose: (v, half) => `${count(v, 1_200, 'hot meal', 'hot meals')} for elderly people living alone, ${H(half)}`,
    confirm: [{ by: SUNRISE.id, statement: (v, half) => `${count(v, 1_200, 'meal', 'meals')} delivered to elderly people living alone, ${H(half)}`, evidence: 'delivery-log' }],
  },
  {
    key: 'health-insurance',
    fund: 'health-insurance',
    pct: 85,
    payee: "People's Mutual Health Insurance (group policy)",
    purpose: (v, half) => `health insurance for ${count(v, 12_000, 'child', 'children')} of low-income rural families, ${H(half)}`,
    confirm: [{ by: AUDITOR.id, statement: (v) => `policy checked: ${count(v, 12_000, 'child', 'children')} insured for the year`, evidence: 'policy-audit' }],
  },
  {
    key: 'training',
    fund: 'guizhou-village-training',
    pct: 90,
    payee: 'County Vocational Training School',
    purpose: (v, half) => `vocational training for ${count(v, 30_000, 'woman', 'women')} in remote villages, ${H(half)}`,
    confirm: [{ by: AUDITOR.id, statement: (v) => `attendance checked: ${count(v, 30_000, 'woman', 'women')} completed the course`, evidence: 'attendance-audit' }],
  },
];

/** The two giving channels, and the share of donations through each (percent). */
export const CHANNELS = [
  { id: 'goods-for-good', prefix: 'gfg', share: 60, label: 'Goods for Good (a share of each sale)' },
  { id: 'steps-for-charity', prefix: 'sfc', share: 40, label: 'Steps for Charity (walked steps turned into money)' },
] as const;
