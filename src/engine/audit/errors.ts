/** Raised for bad audit input: one line naming the input and what would be right. */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}
