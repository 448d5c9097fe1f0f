/**
 * One formal register per language, in every text the SPA shows: "vós" in Catalan, "usted" in Spanish. The checks
 * look for the forms that only the familiar "tu"/"tú" uses (possessives, pronouns, verb endings, and the familiar
 * imperatives that open a sentence), so a new text written the familiar way fails here.
 */
import { describe, expect, it } from 'vitest'
import { CATALOGUES } from '../test/catalogues'
import recordsCa from './records/ca.json'
import recordsEs from './records/es.json'
import adminCa from './admin/ca.json'
import adminEs from './admin/es.json'

// The apostrophes the catalogues use: ' and ’.
const A = "['’]"

const INFORMAL: Record<'ca' | 'es', RegExp[]> = {
  ca: [
    /\b(teu|teva|teus|teves|pots|vols|tens|has|ets|estàs|podràs|hauràs|tindràs|rebràs|vulguis|puguis|havies)\b/iu,
    new RegExp(`(^|[\\s(«“])t${A}`, 'iu'), // t'enviem, t'hem enviat
    new RegExp(`\\p{L}${A}t(?![\\p{L}])`, 'iu'), // identifica't, posa't
    /(^|\s)et\s/iu, // et farà passar
    /\p{L}-te\b/iu, // identificar-te
    /(^|[.:;!?]\s+|«)(Escriu|Tria|Revisa|Comprova|Introdueix|Torna-ho|Torna|Demana|Anul·la|Vés|Fes|Prova|Mostra|Amaga|Desa|Envia|Afegeix|Descarrega|Confirma|Canvia|Salta|Marca|Omple|Emet|Comença|Reprodueix|Bloqueja|Aprova|Tanca|Exporta|Verifica|Espera|Identifica|Surt|Entra|Penja|Silencia|Apaga|Actualitza|Accedeix)\b/u,
  ],
  es: [
    /\b(tu|tus|tú|te|ti|contigo|tuyo|tuya|tuyos|tuyas|puedes|podrás|tienes|tendrás|quieres|eres|estás|has|debes|deberías|habías|recibirás|oyes|entrarás)\b/iu,
    /\b(identifícate|ponte|conéctate|asegúrate|acuérdate|dale|confírmalo|revísalo|expórtalo|añádela)\b/iu,
    /(^|[.:;!?¿]\s+|«)(Escribe|Elige|Revisa|Comprueba|Introduce|Vuelve|Pide|Espera|Anula|Prueba|Usa|Intenta|Recibe|Habla|Pulsa|Sube|Da|Entra|Rellena|Marca|Busca|Descarga|Confirma)\b/u,
  ],
}

function offences(language: 'ca' | 'es', catalogue: Record<string, string>): string[] {
  return Object.entries(catalogue)
    .filter(([, text]) => INFORMAL[language].some((pattern) => pattern.test(text)))
    .map(([key, text]) => `${key}: ${text}`)
}

describe('one formal register per language', () => {
  it('speaks to people as "vós" in Catalan', () => {
    expect(offences('ca', { ...CATALOGUES.ca, ...recordsCa, ...adminCa })).toEqual([])
  })

  it('speaks to people as "usted" in Spanish', () => {
    expect(offences('es', { ...CATALOGUES.es, ...recordsEs, ...adminEs })).toEqual([])
  })

  it('never names the eIDAS levels to citizens ("substantial" means nothing to them)', () => {
    for (const language of ['ca', 'es', 'en'] as const) {
      const found = Object.entries(CATALOGUES[language]).filter(([, text]) => /substan|sustanc/i.test(text))
      expect(found, language).toEqual([])
    }
  })

  it('would catch the familiar forms it looks for', () => {
    const familiar = {
      ca: [
        "Escriu el codi que has rebut.",
        "Identifica't amb la identitat digital.",
        "T'hem enviat un codi.",
        'Les teves dades.',
        'Ja pots descarregar-los.',
        'Vols anul·lar la cita?',
        "L'agent et farà passar.",
      ],
      es: [
        'Escribe el código que has recibido.',
        'Identifícate con tu identidad digital.',
        'Te hemos enviado un código.',
        'Ya puedes descargarlos.',
        '¿Quieres anular la cita?',
        'Un documento tuyo.',
      ],
    }
    for (const language of ['ca', 'es'] as const) {
      for (const text of familiar[language]) {
        expect(offences(language, { text }), `${language}: ${text}`).toHaveLength(1)
      }
    }
  })
})
