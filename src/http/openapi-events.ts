// The signed event envelope as OpenAPI clients need it: one schema per event type, joined
// by a discriminated oneOf on `type` (OpenAPI 3.1 §4.8.25 Discriminator Object).
//
// Why: the ledger's envelope.json says "the body is validated against the schema of its
// type" with if/then, which validators follow but code generators do not: a client
// generated from it types `body` as any object, so `{nonsense: true}` type-checks (issue
// 12). Each `Event.<type>` here is the envelope's own properties with `type` fixed to one
// value and `body` the ledger's schema for that type, so the union is exactly what the
// server accepts (the envelope's if/then, written the other way round). Built from the
// converted envelope component, so a new event type in envelope.json shows up here by
// itself, and one without a body schema fails loudly.
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });

/** The component name of the envelope of one event type. */
export const eventSchemaName = (type: string): string => `Event.${type}`;

/**
 * `Event` (the discriminated union) and `Event.<type>` for every type the envelope allows,
 * from the already converted ledger components (`envelope` and one body schema per type).
 */
export function eventSchemas(components: Obj): Obj {
  const envelope = components.envelope as Obj | undefined;
  if (!envelope || typeof envelope !== 'object') throw new Error('openapi: no envelope component');
  const props = envelope.properties as Obj;
  const types = (props.type as Obj | undefined)?.enum;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) throw new Error('openapi: envelope.properties.type.enum must list the event types');
  const out: Obj = {};
  const mapping: Obj = {};
  for (const type of types as string[]) {
    if (!(type in components)) throw new Error(`openapi: event type ${type} has no body schema component`);
    const name = eventSchemaName(type);
    out[name] = {
      title: `Signed ${type} event`,
      description: `An envelope whose \`type\` is "${type}"; \`body\` is a ${type} body. sig = base64(key id (4 bytes) || Ed25519 signature) over the RFC 8785 canonical JSON of the envelope without sig.`,
      type: 'object',
      required: envelope.required as Json,
      additionalProperties: false,
      properties: { ...props, type: { type: 'string', const: type }, body: ref(type) },
    };
    mapping[type] = ref(name).$ref as string;
  }
  out.Event = {
    title: 'Signed event',
    description: 'One signed event envelope, typed by its `type` (DESIGN.md "Event envelope" and "Bodies"). The same envelope as the ledger schema "envelope", written as one schema per type so that generated clients type each body.',
    type: 'object',
    oneOf: (types as string[]).map((t) => ref(eventSchemaName(t))),
    discriminator: { propertyName: 'type', mapping },
  };
  return out;
}
