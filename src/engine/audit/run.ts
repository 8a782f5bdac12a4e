/** The audit's driver: checks the input, runs the map phase, then the statistics, flags and causal tests. */
import type { Explainer } from '../explainer';
import { AuditError } from './errors';
import {
  AuditImageSource,
  AuditOptions,
  AuditResult,
  AuditRunOptions
} from './types';

/** Audits the images with the explainer's model; see AuditReport for what comes back. */
export async function runAudit(
  explainer: Explainer,
  images: AuditImageSource,
  options: AuditOptions = {},
  runOptions: AuditRunOptions = {}
): Promise<AuditResult> {
  void explainer;
  void images;
  void options;
  void runOptions;
  throw new AuditError('the audit engine is being built');
}
