// npm run openapi: regenerate docs/openapi.json from the route schemas.
import { writeFileSync } from 'node:fs'
import { openApiText } from '../src/api/openapi-document.js'

writeFileSync(new URL('../docs/openapi.json', import.meta.url), await openApiText())
console.log('docs/openapi.json regenerated')
