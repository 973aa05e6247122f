// A sharp image server for scripts/bench-web: the subset of imgproxy's URL grammar that
// imgproxy's benchmark script asks for, rendered the way a user would write it with sharp.
//
//   node sharp-server.mjs HOST PORT
//   GET /unsafe/rs:fit:{w}:{h}/f:{jpg|png|webp|avif}/q:{quality}/plain/{source URL}
//
// Sources are fetched over HTTP (the benchmark's origin on loopback); the image is fitted
// inside w×h without enlarging (imgproxy's `rs:fit`), auto-rotated, and encoded with
// sharp's defaults at the quality asked (JPEG progressive, as the harness sets for imgproxy
// and thumbor).
import http from 'node:http';
import sharp from 'sharp';

const [host, port] = [process.argv[2] || '127.0.0.1', Number(process.argv[3] || 8080)];
const grammar = /^\/unsafe\/rs:fit:(\d+):(\d+)\/f:(jpg|png|webp|avif)\/q:(\d+)\/plain\/(https?:\/\/.+)$/;

const encode = (pipeline, format, quality) => {
  switch (format) {
    case 'jpg': return pipeline.jpeg({ quality, progressive: true });
    case 'png': return pipeline.png();
    case 'webp': return pipeline.webp({ quality });
    case 'avif': return pipeline.avif({ quality, effort: 0 });
  }
};
const types = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif' };

const server = http.createServer(async (req, res) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  const m = grammar.exec(req.url);
  if (!m) {
    res.writeHead(404).end('not found');
    return;
  }
  const [, w, h, format, q, source] = m;
  try {
    const upstream = await fetch(source);
    if (!upstream.ok) {
      res.writeHead(404).end('source not found');
      return;
    }
    const input = Buffer.from(await upstream.arrayBuffer());
    const pipeline = sharp(input)
      .rotate()
      .resize(Number(w), Number(h), { fit: 'inside', withoutEnlargement: true });
    const body = await encode(pipeline, format, Number(q)).toBuffer();
    res.writeHead(200, { 'Content-Type': types[format], 'Content-Length': body.length });
    res.end(body);
  } catch (e) {
    res.writeHead(422).end('cannot render');
  }
});
server.keepAliveTimeout = 60_000;
server.listen(port, host, () => console.log(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips} on ${host}:${port}`));
