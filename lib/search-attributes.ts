import type { SearchAttributeType } from '@temporalio/common';

/** temporal.api.enums.v1.IndexedValueType of each SDK search attribute type */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };

/** Search attribute keys as the operator service's `addSearchAttributes` takes them (name → indexed type). */
export function searchAttributeTypes(keys: ReadonlyArray<{ name: string; type: SearchAttributeType }>): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k.name, INDEXED_VALUE_TYPE[k.type]]));
}
