// Verify a receipt with npm `jose` against the gateway's published key set, then show that
// changing any byte of the payload breaks it. Prints one JSON line:
// {"verified": bool, "kid": "...", "kidPublished": bool, "payload": {...},
//  "tampered": n, "tamperedAccepted": n}
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";

const [jwksUrl, receipt] = process.argv.slice(2);
const response = await fetch(jwksUrl);
const jwks = await response.json();
const keys = createLocalJWKSet(jwks);
const { kid } = decodeProtectedHeader(receipt);
const kidPublished = jwks.keys.some((key) => key.kid === kid);

let verified = false;
let payload = null;
try {
  const result = await compactVerify(receipt, keys, { algorithms: ["ES256"] });
  payload = JSON.parse(new TextDecoder().decode(result.payload));
  verified = true;
} catch (error) {
  payload = { error: String(error) };
}

const [header, body, signature] = receipt.split(".");
const bytes = Buffer.from(body, "base64url");
let tampered = 0;
let tamperedAccepted = 0;
for (let i = 0; i < bytes.length; i += 1) {
  const changed = Buffer.from(bytes);
  changed[i] ^= 0x01;
  tampered += 1;
  try {
    await compactVerify(`${header}.${changed.toString("base64url")}.${signature}`, keys);
    tamperedAccepted += 1;
  } catch {
    // refused, as it must be
  }
}
console.log(JSON.stringify({ verified, kid, kidPublished, payload, tampered, tamperedAccepted }));
