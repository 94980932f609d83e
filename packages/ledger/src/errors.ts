// The rejection codes of DESIGN.md "Posting", each with its HTTP status. A rejection is
// bad input from a poster: it is returned (never thrown) by the state machine and
// answered as {"error": {"code", "message"}}.

export const REJECTION_STATUS = {
  schema: 400,
  bad_signature: 401,
  unknown_key: 401,
  revoked_key: 401,
  duplicate_id: 409,
  unknown_org: 422,
  unknown_fund: 422,
  unknown_event: 422,
  unknown_disbursement: 422,
  forbidden: 403,
  already_exists: 422,
  currency_mismatch: 422,
  same_fund: 422,
  restricted_fund: 422,
  bad_amount: 422,
  bad_key: 422,
  overdraft: 422,
  not_reversible: 422,
} as const;

export type RejectionCode = keyof typeof REJECTION_STATUS;

export interface Rejection {
  ok: false;
  status: number;
  code: RejectionCode;
  message: string;
}

export function reject(code: RejectionCode, message: string): Rejection {
  return { ok: false, status: REJECTION_STATUS[code], code, message };
}
