// A minimal XML-RPC client, enough for supervisord's API in the benchmark.
type Value = string | number | boolean | null | Value[] | { [key: string]: Value }

function encode(value: Value): string {
  if (typeof value === 'string') return `<value><string>${value.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</string></value>`
  if (typeof value === 'number') return `<value><int>${value}</int></value>`
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`
  if (value === null) return '<value><nil/></value>'
  if (Array.isArray(value)) return `<value><array><data>${value.map(encode).join('')}</data></array></value>`
  return `<value><struct>${Object.entries(value).map(([k, v]) => `<member><name>${k}</name>${encode(v)}</member>`).join('')}</struct></value>`
}

export function requestBody(method: string, params: Value[]): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params.map((p) => `<param>${encode(p)}</param>`).join('')}</params></methodCall>`
}

const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

// A tiny recursive-descent parser over the tags supervisord emits.
function parseValue(xml: string, at: number): [Value, number] {
  const open = xml.indexOf('<value>', at)
  let i = open + 7
  const rest = xml.slice(i)
  const tag = /^\s*<(\w+)\s*(\/?)>/.exec(rest)
  if (tag === null) {
    const end = xml.indexOf('</value>', i)
    return [unescape(xml.slice(i, end)), end + 8]
  }
  const [whole, name, selfClosing] = tag
  i += whole.length
  if (selfClosing === '/') return [null, xml.indexOf('</value>', i) + 8]
  if (name === 'array') {
    const items: Value[] = []
    const end = () => /^\s*<\/data>/.test(xml.slice(i))
    i = xml.indexOf('<data>', i - whole.length) + 6
    while (!end()) {
      const [item, next] = parseValue(xml, i)
      items.push(item)
      i = next
    }
    i = xml.indexOf('</value>', xml.indexOf('</array>', i)) + 8
    return [items, i]
  }
  if (name === 'struct') {
    const members: Record<string, Value> = {}
    while (/^\s*<member>/.test(xml.slice(i))) {
      const nameStart = xml.indexOf('<name>', i) + 6
      const key = xml.slice(nameStart, xml.indexOf('</name>', nameStart))
      const [member, next] = parseValue(xml, nameStart)
      members[key] = member
      i = xml.indexOf('</member>', next) + 9
    }
    return [members, xml.indexOf('</value>', xml.indexOf('</struct>', i)) + 8]
  }
  const close = xml.indexOf(`</${name}>`, i)
  const text = xml.slice(i, close)
  const value: Value = name === 'int' || name === 'i4' || name === 'double' ? Number(text) : name === 'boolean' ? text === '1' : unescape(text)
  return [value, xml.indexOf('</value>', close) + 8]
}

export async function call(url: string, method: string, params: Value[] = []): Promise<Value> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: requestBody(method, params) })
  const xml = await response.text()
  if (xml.includes('<fault>')) throw new Error(`${method}: ${xml.slice(0, 300)}`)
  return parseValue(xml, xml.indexOf('<params>'))[0]
}
