// Times @gutenye/ocr-node (same PP-OCRv4 models, ONNX Runtime 1.30 through onnxruntime-node) on the
// images given, the way `edge bench ocr` times Edge: one warm-up pass, then N timed passes; prints JSON.
import Ocr from '@gutenye/ocr-node'
import { readdirSync, statSync } from 'node:fs'
import { join, basename, extname } from 'node:path'
import { performance } from 'node:perf_hooks'

const args = process.argv.slice(2)
let iterations = 5
const inputs = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--iterations') iterations = Number(args[++i])
  else inputs.push(args[i])
}
const images = []
for (const p of inputs) {
  if (statSync(p).isDirectory()) {
    for (const f of readdirSync(p).sort()) if (['.png', '.jpg', '.jpeg'].includes(extname(f).toLowerCase())) images.push(join(p, f))
  } else images.push(p)
}
if (images.length === 0) { console.error('bench-peer: no images'); process.exit(2) }

const loadStart = performance.now()
const ocr = await Ocr.create()
await ocr.detect(images[0])
const loadMs = performance.now() - loadStart

const texts = {}
for (const img of images) texts[basename(img)] = (await ocr.detect(img)).map((l) => l.text)
const perImage = Object.fromEntries(images.map((i) => [basename(i), []]))
const all = []
for (let it = 0; it < iterations; it++) {
  for (const img of images) {
    const t0 = performance.now()
    await ocr.detect(img)
    const ms = performance.now() - t0
    perImage[basename(img)].push(ms)
    all.push(ms)
  }
}
const median = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2 }
const round = (x) => Math.round(x * 100) / 100
console.log(JSON.stringify({
  tool: '@gutenye/ocr-node@1.4.8',
  images: images.length,
  iterations,
  load_ms: round(loadMs),
  median_ms: { total: round(median(all)) },
  mean_total_ms: round(all.reduce((a, b) => a + b, 0) / all.length),
  per_image_median_ms: Object.fromEntries(Object.entries(perImage).map(([k, v]) => [k, round(median(v))])),
  texts,
}))
