/**
 * Certificates for the security tests, made with the openssl command line in a temporary folder:
 * a self-signed CA, and leaves it signed for 127.0.0.1 (valid, expiring soon, expired) and for a
 * name that is not this host. `openssl ca` signs them because `x509 -req` in OpenSSL 3.0 cannot
 * back-date a certificate, and an expired one must be expired from the start.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A leaf certificate and its key, as files. */
export interface LeafFiles {
  cert: string;
  key: string;
}

/** The CA and the leaves the tests use. */
export interface TlsFixtures {
  dir: string;
  /** PEM of the CA certificate. */
  ca: string;
  /** Valid for a year, for 127.0.0.1 and localhost. */
  valid: LeafFiles;
  /** Valid for 5 more days only. */
  expiringSoon: LeafFiles;
  /** Expired in 2020. */
  expired: LeafFiles;
  /** Valid, but for wrong.example only. */
  wrongHost: LeafFiles;
  /** A second, unrelated CA (a chain that must not verify against `ca`). */
  otherCa: string;
  remove: () => void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `openssl req` arguments for a new P-256 key, unencrypted, with its subject. */
const newKey = (key: string, subject: string): string[] => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  key,
  '-subj',
  subject,
];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      ...newKey(key, `/CN=canary-gate ${name}`),
      '-out',
      cert,
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

/** Make the CA and every leaf (about half a second of openssl). */
export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-tls-'));
  const ca = makeCa(dir, 'test-ca');
  const other = makeCa(dir, 'other-ca');
  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ local ]
subjectAltName = IP:127.0.0.1,DNS:localhost
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ wrong ]
subjectAltName = DNS:wrong.example
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
`,
  );
  const leaf = (name: string, extensions: string, validity: string[]): LeafFiles => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    openssl(['req', '-new', ...newKey(key, `/CN=${name}`), '-out', csr], dir);
    openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        join(dir, 'ca.cnf'),
        '-cert',
        ca.cert,
        '-keyfile',
        ca.key,
        '-in',
        csr,
        '-out',
        cert,
        '-extensions',
        extensions,
        ...validity,
      ],
      dir,
    );
    return { cert, key };
  };
  return {
    dir,
    ca: ca.cert,
    otherCa: other.cert,
    valid: leaf('valid', 'local', ['-days', '365']),
    expiringSoon: leaf('expiring-soon', 'local', ['-days', '5']),
    expired: leaf('expired', 'local', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']),
    wrongHost: leaf('wrong-host', 'wrong', ['-days', '365']),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
