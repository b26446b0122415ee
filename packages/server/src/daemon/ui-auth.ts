import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { readAdminKey, type WorkspaceConfig } from '@tachyon-serve/core';
import { TachyonError } from '@tachyon-serve/protocol';

/**
 * The dashboard API's guard: `Authorization: Bearer <workspace admin key>` (`.tachyon/admin.key`, read through
 * core's readAdminKey on first use), compared in constant time on sha256 digests. The key is never put in a
 * message, a log line or a URL.
 */
export function createAdminKeyCheck(config: WorkspaceConfig): (request: FastifyRequest) => Promise<void> {
  let expected: Promise<Buffer> | undefined;
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || !/^Bearer\s+\S+$/i.test(header)) {
      throw new TachyonError(
        'TCH_ERR_AUTH_MISSING',
        'The request carries no `Authorization: Bearer <workspace admin key>`.',
      );
    }
    expected ??= readAdminKey(config).then((key) => createHash('sha256').update(key).digest());
    // A workspace without a readable key fails every login with the reason; a later request tries the file again.
    const digest = await expected.catch((error: unknown) => {
      expected = undefined;
      throw error;
    });
    const given = createHash('sha256')
      .update(header.replace(/^Bearer\s+/i, ''))
      .digest();
    if (!timingSafeEqual(given, digest))
      throw new TachyonError('TCH_ERR_AUTH_INVALID', 'The admin key is not valid for this workspace.');
  };
}
