/**
 * Form fields read off the spec schema itself (types, defaults, enum options,
 * bounds), so the form never restates what common/spec.ts already says.
 */
import { z } from 'zod';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'enum' | 'text' | 'text-or-index';

export interface FieldDescriptor {
  key: string;
  kind: FieldKind;
  optional: boolean;
  defaultValue: unknown;
  options: readonly string[];
  min?: number;
  max?: number;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; defaultValue: unknown } {
  let inner: z.ZodType = schema;
  let optional = false;
  let defaultValue: unknown;
  for (;;) {
    if (inner instanceof z.ZodDefault) {
      defaultValue = inner.def.defaultValue;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodOptional) {
      optional = true;
      inner = inner.unwrap() as z.ZodType;
    } else {
      return { inner, optional, defaultValue };
    }
  }
}

function finite(n: number | null | undefined): number | undefined {
  return n !== null && n !== undefined && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined;
}

/** The editable fields of an object schema; the discriminator (a literal) and nested objects are left out. */
export function describeFields(schema: z.ZodObject): FieldDescriptor[] {
  const fields: FieldDescriptor[] = [];
  for (const [key, value] of Object.entries(schema.shape)) {
    const { inner, optional, defaultValue } = unwrap(value as z.ZodType);
    const base = { key, optional, defaultValue, options: [] as string[] };
    if (inner instanceof z.ZodNumber) {
      fields.push({ ...base, kind: inner.isInt ? 'integer' : 'number', min: finite(inner.minValue), max: finite(inner.maxValue) });
    } else if (inner instanceof z.ZodBoolean) {
      fields.push({ ...base, kind: 'boolean' });
    } else if (inner instanceof z.ZodEnum) {
      fields.push({ ...base, kind: 'enum', options: inner.options.map(String) });
    } else if (inner instanceof z.ZodString) {
      fields.push({ ...base, kind: 'text' });
    } else if (inner instanceof z.ZodUnion) {
      fields.push({ ...base, kind: 'text-or-index' });
    }
  }
  return fields;
}

/** The schema's defaults for an object's fields (fields without one are left out). */
export function fieldDefaults(fields: readonly FieldDescriptor[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f.defaultValue !== undefined).map((f) => [f.key, structuredClone(f.defaultValue)]));
}
