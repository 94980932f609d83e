// The authenticated state map (issue 11; docs/wire-format-2.md §3–§7).
export * from './hash.ts';
export * from './proof.ts';
export * from './page.ts';
export * from './store.ts';
export * from './update.ts';
export * from './prove.ts';
export * from './root.ts';
