/** Runs before every test file: all three catalogues are there, as if already fetched. */
import { registerAllCatalogues } from './catalogues'

registerAllCatalogues()
