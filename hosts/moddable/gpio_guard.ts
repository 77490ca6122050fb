/*
 * The one pin check the ESP32 cannot make itself, done before any
 * `new Digital` (pins_gpio.ts).
 *
 * GPIO 6..11 are wired to the SPI flash on every ESP32 (classic) module, the
 * chip of every board in boards/. The SDK's Digital accepts them (they are in
 * SOC_GPIO_VALID_GPIO_MASK, modules/io/digital/esp32/digitalbank.c:114-120)
 * and then calls esp_rom_gpio_pad_select_gpio on the pad
 * (digitalbank.c:198), which takes the flash away from the CPU: the chip
 * crashes at once, before any exception could be caught, and a stored
 * preference would repeat that at every boot. Every other bad pin makes the
 * Digital throw ("invalid pin", "input only", "in use": digitalbank.c:120,
 * :123, :168), which pins_gpio.ts catches.
 *
 * (On the ESP32-S3 and C3 the flash pins are others, 26..32 and 12..17; there
 * GPIO 6..11 are ordinary pins that this check refuses needlessly. The
 * project has no board file for them: manifest.json's "esp32/*" entry warns.)
 *
 * Plain TypeScript, no SDK module: the Node tests check it
 * (test/moddable-build.test.ts).
 */

/** The SPI flash pins of the ESP32: never configured. */
export const FLASH_PIN_FIRST = 6;
export const FLASH_PIN_LAST = 11;

/** Why `pin` must not be configured, or "" when the SDK may be asked (-1, "none", is the caller's business). */
export function pinRefusal(pin: number): string {
  if (pin >= FLASH_PIN_FIRST && pin <= FLASH_PIN_LAST) return `GPIO ${pin} is an SPI flash pin (GPIO ${FLASH_PIN_FIRST}-${FLASH_PIN_LAST})`;
  return "";
}
