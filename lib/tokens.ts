/**
 * Bearer tokens as the system stores them: only a sha256 of the token, never the token itself.
 * Shared by the API (authentication, issuing) and the demo/test org-tree builder.
 */
import { createHash, randomBytes } from 'node:crypto';

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');
