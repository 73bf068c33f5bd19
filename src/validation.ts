import type { z } from 'zod';

/** Zod issues as one readable line that names each offending field, e.g. `text.kind: Invalid input`. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
