/** The one table of gradient rules: registering an op type twice is an error, not a warning. */
import { GradRule } from './rule';

const rules = new Map<string, GradRule>();

/** Adds rules to the table; throws when an op type already has one. */
export function registerRules(...added: GradRule[]): void {
  for (const rule of added) {
    if (rules.has(rule.opType)) {
      throw new Error(
        `a gradient rule for ${rule.opType} is already registered`
      );
    }
    rules.set(rule.opType, rule);
  }
}

/** The rule for an op type, or undefined. */
export function ruleFor(opType: string): GradRule | undefined {
  return rules.get(opType);
}

/** Op types that have a rule, sorted. */
export function differentiableOps(): string[] {
  return [...rules.keys()].sort();
}
