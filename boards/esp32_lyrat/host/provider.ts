/*
 * `embedded:provider/builtin` for the ESP32-LyraT (v4.3), the ECMA-419 host
 * provider. The Moddable SDK has no LyraT target, so this directory is an
 * external sub-platform (`mcconfig -p esp32:<path>/boards/esp32_lyrat`), and
 * the SDK's ESP32 IO manifest maps the provider module to
 * $(SUBPLATFORMDIRECTORY)/host/provider for any such sub-platform
 * (modules/io/manifests/esp32/manifest.json, "esp32/*").
 *
 * Pins from Espressif's ESP-ADF board definition for the LyraT v4.3
 * (components/audio_board/lyrat_v4_3: board_def.h, board_pins_config.c).
 * The doorbell app itself takes its pins from mc/config (boards/README.md);
 * this provider serves other ECMA-419 code that asks for `device.pin` or the
 * default I2C bus (the ES8388 codec's control port).
 */
import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import I2C from "embedded:io/i2c";
import PWM from "embedded:io/pwm";
import Serial from "embedded:io/serial";
import SPI from "embedded:io/spi";

const device = {
  io: { Analog, Digital, I2C, PWM, Serial, SPI },
  pin: {
    rec: 36,
    mode: 39,
    ledGreen: 22,
    paEnable: 21,
    headphoneDetect: 19,
    auxInDetect: 12,
  },
  I2C: {
    default: { io: I2C, data: 18, clock: 23 },
  },
};

export default device;
