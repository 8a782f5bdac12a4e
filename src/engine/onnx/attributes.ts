/** Reading and writing node attributes by name. */
import { AttributeProto, AttributeType, NodeProto } from './proto';

function find(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find(a => a.name === name);
}

/** An INT attribute, or the default. */
export function intAttr(
  node: NodeProto,
  name: string,
  fallback: number
): number {
  const a = find(node, name);
  return a?.i !== undefined ? Number(a.i) : fallback;
}

/** An INTS attribute, or the default. */
export function intsAttr(
  node: NodeProto,
  name: string,
  fallback: number[]
): number[] {
  const a = find(node, name);
  return a?.ints && a.ints.length > 0 ? a.ints.map(Number) : fallback;
}

/** A FLOAT attribute, or the default. */
export function floatAttr(
  node: NodeProto,
  name: string,
  fallback: number
): number {
  const a = find(node, name);
  return a?.f !== undefined ? a.f : fallback;
}

/** A STRING attribute, or the default. */
export function stringAttr(
  node: NodeProto,
  name: string,
  fallback: string
): string {
  const a = find(node, name);
  return a?.s !== undefined ? new TextDecoder().decode(a.s) : fallback;
}

/** Whether the node carries the attribute at all. */
export function hasAttr(node: NodeProto, name: string): boolean {
  return find(node, name) !== undefined;
}

/** Builders for attributes of emitted nodes. */
export const attr = {
  int: (name: string, i: number): AttributeProto => ({
    name,
    type: AttributeType.INT,
    i
  }),
  ints: (name: string, ints: number[]): AttributeProto => ({
    name,
    type: AttributeType.INTS,
    ints
  }),
  float: (name: string, f: number): AttributeProto => ({
    name,
    type: AttributeType.FLOAT,
    f
  }),
  floats: (name: string, floats: number[]): AttributeProto => ({
    name,
    type: AttributeType.FLOATS,
    floats
  }),
  string: (name: string, s: string): AttributeProto => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(s)
  })
};
