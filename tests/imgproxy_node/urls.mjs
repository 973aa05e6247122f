// Reads {endpoint, key, salt, cases: [{url, displayAs, options, signed}]} on stdin and
// prints the URLs @imgproxy/imgproxy-node builds for them, one JSON array on stdout.
import { generateImageUrl } from '@imgproxy/imgproxy-node';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { endpoint, key, salt, cases } = JSON.parse(input);
const urls = cases.map(({ url, displayAs, options, signed }) =>
  generateImageUrl({
    endpoint,
    url: { value: url, displayAs: displayAs ?? 'base64' },
    options,
    ...(signed ? { key, salt } : {}),
  }),
);
process.stdout.write(JSON.stringify(urls));
