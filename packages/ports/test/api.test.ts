// The published API of this package against api/*.api.md and the README (see test-support/api-report.ts).
import { fileURLToPath } from 'node:url';
import { describePublicApi } from '../../../test-support/api-report.js';

describePublicApi(fileURLToPath(new URL('..', import.meta.url)));
