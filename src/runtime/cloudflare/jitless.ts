// Puts zod in jitless mode on Cloudflare Workers. zod v4 decides per schema, when the schema is
// built, whether to compile a fast validator with `new Function`, which workerd forbids; so this
// module must run before any module that builds schemas: the Workers entry imports it first.

import { z } from 'zod';

z.config({ jitless: true });
