#!/usr/bin/env node
// The npm registry mirror on our build machines serves only the Linux builds of native packages
// (@swc/core-*, @unrs/resolver-binding-*, @msgpackr-extract/*). A lockfile written here therefore
// lacks the other platforms' optional packages, and `npm ci` then refuses it as "out of sync".
// This adds those entries (version, os/cpu, optional) so the lockfile is complete for every
// platform; npm skips them on platforms they do not match. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32', 'mips64el'];
const LIBC = { gnu: 'glibc', glibc: 'glibc', musl: 'musl', gnueabihf: 'glibc', musleabihf: 'musl' };

function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os = OS.find((o) => tokens.includes(o) || (o === 'win32' && tokens.includes('win32')));
  const cpu = CPU.find((c) => tokens.includes(c)) ?? (tokens.includes('arm') ? 'arm' : undefined);
  const libcToken = tokens.find((t) => LIBC[t]);
  return { os, cpu, libc: os === 'linux' && libcToken ? LIBC[libcToken] : undefined };
}

let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const base = key === '' ? '' : `${key}/`;
    if (packages[`${base}node_modules/${dep}`] || packages[`node_modules/${dep}`]) continue;
    if (!/^\d+\.\d+\.\d+/.test(spec)) continue; // only exact pins (native binding packages)
    const { os, cpu, libc } = platformOf(dep);
    if (!os) continue;
    packages[`node_modules/${dep}`] = {
      version: spec,
      ...(cpu && { cpu: [cpu] }),
      ...(pkg.dev && { dev: true }),
      ...(libc && { libc: [libc] }),
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} platform entries`);
